/**
 * Bulkhead boot benchmark, one run in this process: builds the PC the way `npx bulkhead` does
 * (SeaBIOS + SeaVGABIOS, VGA, i8042, isa-serial on COM1, piix3-ide with linux.img as the primary
 * master behind an in-memory copy-on-write overlay), in the placement asked for, starts it, and
 * records the host time of each boot milestone (bench/guest-session.ts), the instructions
 * executed, the process memory (bench/boot-common.ts) and, when the guest reaches its shell, the
 * in-guest storage workloads (bench/guest-workloads.ts).
 *
 *   tsx bench/boot.ts --placement isolated|monolithic [--timeout S] [--stop-at MILESTONE] [-v]
 *
 * Prints one `BENCH-RESULT {json}` line (read by bench/all.ts). The serial port gets a
 * SerialBackend object of its own in both placements (the isolated placement bridges it to the
 * console worker over a MessagePort: src/workers/backend-bridge.ts), so both placements are
 * watched by the same code.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMachine, type Machine } from '../src/machine/machine.js';
import type { MachineConfig } from '../src/machine/config.js';
import type { SerialBackend } from '../src/devices/console/serial-backend.js';
import { nodeMachineHost } from '../src/cli/node-host.js';
import { nodeWorkerLauncher } from '../src/node/worker-launcher.js';
import { FileBlock } from '../src/node/file-block.js';
import { OverlayBlock } from '../src/block/overlay.js';
import { DEFAULT_BOOT, MemorySampler, parseBootArgs, RESULT_PREFIX, toSeconds, type BootOptions, type BootResult } from './boot-common.js';
import { bytesToText, ConsoleRecorder, MILESTONES, type SerialLink } from './guest-session.js';
import { runStorageWorkloads } from './guest-workloads.js';

/** A serial backend that records what the guest sends and lets the benchmark type. */
class BenchSerial implements SerialBackend {
  private receiver: ((bytes: Uint8Array) => void) | undefined;
  private pending: Uint8Array[] = [];
  constructor(private readonly out: (bytes: Uint8Array) => void) {}
  write(bytes: Uint8Array): void {
    this.out(bytes);
  }
  onData(receive: (bytes: Uint8Array) => void): () => void {
    this.receiver = receive;
    for (const p of this.pending.splice(0)) receive(p);
    return () => {
      if (this.receiver === receive) this.receiver = undefined;
    };
  }
  input(bytes: Uint8Array): void {
    if (this.receiver) this.receiver(bytes);
    else this.pending.push(bytes);
  }
}

export async function runBulkheadBoot(placement: 'isolated' | 'monolithic', o: BootOptions): Promise<BootResult> {
  const sampler = new MemorySampler(o.ramMiB * 1024 * 1024);
  const recorder = new ConsoleRecorder();
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const serial = new BenchSerial((bytes) => {
    const text = bytesToText(bytes);
    if (o.verbose) process.stderr.write(text);
    recorder.feed('serial', text, now());
  });
  const base = await FileBlock.open(o.image, { readOnly: true, kind: 'disk' });
  const disk = await OverlayBlock.open(base);
  const config: MachineConfig = {
    ramMiB: o.ramMiB,
    bios: new Uint8Array(readFileSync(o.bios)),
    vgaBios: new Uint8Array(readFileSync(o.vgaBios)),
    onTripleFault: 'stop',
    placement,
    devices: [
      { type: 'VGA' },
      { type: 'i8042' },
      { type: 'isa-serial', props: { index: 0 }, backend: serial },
      { type: 'piix3-ide', props: { hda: 'ide-hd' }, backend: { hda: disk } },
    ],
  };
  const host = nodeMachineHost({ launcher: placement === 'isolated' ? nodeWorkerLauncher() : undefined });
  const cpu0 = process.cpuUsage();
  let machine: Machine | undefined;
  let failure: string | undefined;
  const goal = o.stopAt ?? (o.workloads ? 'shell' : 'marker');
  const goalIndex = MILESTONES.findIndex((m) => m.id === goal);
  let instructionsAtGoal: number | undefined;
  let secondsAtGoal: number | undefined;
  let storage: BootResult['storage'];
  try {
    machine = await createMachine(config, host);
    const m = machine;
    if (m.placed?.placement !== placement) throw new Error(`asked for ${placement}, machine runs ${m.placed?.placement ?? 'no placement'}`);
    m.events.on('console', ({ source, bytes }) => {
      if (source === 'debugcon') recorder.feed('debug', bytesToText(bytes), now());
    });
    let settled = false;
    const done = new Promise<void>((resolveDone) => {
      const resolve = (): void => {
        settled = true;
        resolveDone();
      };
      recorder.onMilestone = (id) => {
        const idx = MILESTONES.findIndex((x) => x.id === id);
        if (!settled && idx >= goalIndex) {
          instructionsAtGoal = m.report().instructions;
          secondsAtGoal = now() / 1000;
          resolve();
        }
      };
      m.events.on('stuck', ({ reason }) => {
        if (settled) return;
        failure = `guest stopped: ${reason} (last debug-port line: "${recorder.lastDebugLine()}")`;
        resolve();
      });
      m.events.on('state', ({ state }) => {
        if (!settled && (state === 'stopped' || state === 'halted')) {
          failure ??= `machine ${state}`;
          resolve();
        }
      });
      m.events.on('device', (e) => {
        if (!settled && e.kind === 'device-failed') {
          failure = `device ${e.devices.join(', ')} failed (${e.cause}): ${e.detail}`;
          resolve();
        }
      });
      setTimeout(() => {
        if (settled) return;
        failure ??= `did not reach ${recorder.firstMissing(goal)} within ${o.timeoutS} s`;
        resolve();
      }, o.timeoutS * 1000).unref();
    });
    m.start();
    await done;
    if (!failure && goal === 'shell' && o.workloads) {
      const link: SerialLink = {
        recorder,
        send: (text) => serial.input(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)),
        now,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      };
      storage = await runStorageWorkloads(link, Math.max(60_000, o.timeoutS * 1000));
    }
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  const instructions = instructionsAtGoal ?? machine?.report().instructions;
  const hostSeconds = secondsAtGoal ?? now() / 1000;
  const cpu = process.cpuUsage(cpu0);
  const memory = sampler.stop();
  await machine?.stop().catch(() => {});
  return {
    emulator: 'bulkhead',
    variant: placement,
    ok: failure === undefined,
    goal,
    milestones: toSeconds(recorder.times),
    lastSerialLine: recorder.lastSerialLine(),
    failure,
    instructions,
    hostSeconds,
    memory,
    storage,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    info: { lastMilestone: recorder.lastMilestone() ?? 'none' },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const o = parseBootArgs(process.argv.slice(2), { ...DEFAULT_BOOT });
  const placement = o.rest.placement ?? 'monolithic';
  if (placement !== 'isolated' && placement !== 'monolithic') throw new Error(`--placement: ${placement}`);
  const r = await runBulkheadBoot(placement, o);
  process.stdout.write(RESULT_PREFIX + JSON.stringify(r) + '\n');
  process.exit(0);
}
