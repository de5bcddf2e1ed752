/**
 * The worker topology under Node: one CPU worker (shared memory sized from layout.ts, the wasm
 * core instantiated over it) and one device worker per class, all answering; the DMA-class
 * workers and the CPU worker see the same memory, console and input none.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { existsSync } from 'node:fs';
import { startNodeTopology, type NodeTopology } from '../../src/node/topology.js';
import type { BootReport } from '../../src/workers/cpu-runtime.js';

let topo: NodeTopology;
let boot: BootReport;
beforeAll(async () => {
  topo = startNodeTopology();
  boot = await topo.cpu.boot({ ramMiB: 16 });
});
afterAll(async () => { await topo?.close(); });

test('the CPU worker owns the memory and the core', () => {
  expect(boot.layout.totalBytes).toBe(boot.layout.romOffset + boot.layout.romSize);
  if (existsSync(new URL('../../build/core.wasm', import.meta.url))) {
    expect(boot.core.status, boot.core.detail).toBe('instantiated');
    expect(boot.core.exports).toContain('run');
  } else {
    expect(boot.core.status).toBe('missing');
  }
});

test('all seven workers answer', async () => {
  const t = await topo.cpu.topology();
  expect(t.map((w) => w.name).sort()).toEqual(['console', 'cpu', 'display', 'input', 'network', 'sound', 'storage']);
  for (const w of t) expect(w.answered, w.name).toBe(true);
  const mem = Object.fromEntries(t.map((w) => [w.name, w.hasMemory]));
  expect(mem).toEqual({ cpu: true, storage: true, display: true, network: true, sound: true, console: false, input: false });
});

test('a byte written by one memory holder is read by the others', async () => {
  const m = await topo.cpu.memoryCheck();
  for (const r of m.results) {
    expect(r.sawCpuByte, r.cls).toBe(r.hasMemory);
    expect(r.cpuSawItsByte, r.cls).toBe(r.hasMemory);
  }
  expect(m.storageToDisplay).toBe(true);
});
