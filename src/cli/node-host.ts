/**
 * The machine's host services in Node: process.hrtime as the host clock, setTimeout/
 * setImmediate for sleeping and yielding, and the shared WebAssembly.Memory plus CPU core
 * (build/core.wasm through src/machine/cpu-core.ts). Used by the CLI, the machine tests and
 * the benchmarks; the browser's CPU worker provides the same MachineHost with
 * performance.now() and a MessageChannel yield.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { MachineHost, MachineLogger } from '../machine/config.js';
import type { DeviceWorkerLauncher } from '../channel/protocol.js';
import type { CpuCoreApi, CpuHost } from '../machine/cpu-api.js';
import { CpuCore } from '../machine/cpu-core.js';
import type { MemoryLayout } from '../machine/layout.js';
import type { Waiter } from '../machine/run-loop.js';

interface WasmMemoryApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBufferLike };
}

/** build/core.wasm, relative to this file. */
export const CORE_WASM_PATH = fileURLToPath(new URL('../../build/core.wasm', import.meta.url));

export interface NodeHostOptions {
  /** Device worker launcher for the isolated placement (src/node/worker-launcher.ts). */
  launcher?: DeviceWorkerLauncher;
  waiter?: Waiter;
  logger?: MachineLogger;
  /** Override core creation (tests with a fake core). */
  createCore?: MachineHost['createCore'];
}

/** Create the shared memory and the CPU core from build/core.wasm. */
export async function createNodeCore(layout: MemoryLayout, cpuHost: CpuHost): Promise<{ core: CpuCoreApi; buffer: ArrayBufferLike }> {
  const wasm = await readFile(CORE_WASM_PATH).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${CORE_WASM_PATH} (${e.code}); build the CPU core with \`npm run build:core\``);
  });
  const pages = layout.totalBytes / 65536;
  const wa = (globalThis as unknown as { WebAssembly: WasmMemoryApi }).WebAssembly;
  const memory = new wa.Memory({ initial: pages, maximum: pages, shared: true });
  const core = new CpuCore(new Uint8Array(wasm), memory, cpuHost);
  return { core, buffer: memory.buffer };
}

export function nodeMachineHost(opts: NodeHostOptions = {}): MachineHost {
  const origin = process.hrtime.bigint();
  return {
    nowNs: () => Number(process.hrtime.bigint() - origin),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    yieldToHost: () => new Promise((resolve) => setImmediate(resolve)),
    createCore: opts.createCore ?? createNodeCore,
    hostNowMs: () => performance.timeOrigin + performance.now(),
    waiter: opts.waiter,
    launcher: opts.launcher,
    logger: opts.logger,
  };
}
