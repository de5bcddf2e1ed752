/**
 * The peer emulator of the boot benchmark: v86 (npm package `v86`, a JavaScript/WebAssembly PC
 * emulator with an x86-to-wasm JIT), run in this Node process with the same firmware
 * (public/images/bios-256k.bin, vgabios-stdvga.bin), the same disk image as its first hard disk
 * and the same RAM, watched by the same milestone recorder (bench/guest-session.ts): serial
 * port 0 through the `serial0-output-byte` event, SeaBIOS's debug port 0x402 through a write
 * handler registered on v86's I/O space, and the text screen (`screen-put-char`) for SeaBIOS's
 * boot line. When the guest reaches its shell, the same in-guest
 * workloads run (bench/guest-workloads.ts).
 *
 *   tsx bench/v86-peer.ts [--timeout S] [--stop-at MILESTONE] [--jit on|off] [-v]
 *
 * Prints one `BENCH-RESULT {json}` line (read by bench/all.ts). v86's instruction counter is a
 * 32-bit value; it is sampled every 200 ms to count its wraps.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_BOOT, MemorySampler, parseBootArgs, RESULT_PREFIX, toSeconds, type BootOptions, type BootResult } from './boot-common.js';
import { ConsoleRecorder, MILESTONES, type SerialLink } from './guest-session.js';
import { runStorageWorkloads } from './guest-workloads.js';

/** The parts of v86's API used here (see node_modules/v86/v86.d.ts). */
export interface V86Emulator {
  add_listener(event: string, fn: (arg: unknown) => void): void;
  /** The host side of v86's event bus (`net0-receive` delivers a frame to the NE2000). */
  bus?: { send(event: string, data: unknown): void };
  serial0_send(text: string): void;
  get_instruction_counter(): number;
  stop(): Promise<void> | void;
  destroy?(): Promise<void> | void;
  v86?: { cpu?: { io?: { register_write(port: number, dev: unknown, w8: (b: number) => void): void } } };
}
export type V86Ctor = new (opts: Record<string, unknown>) => V86Emulator;

const require = createRequire(import.meta.url);

export function arrayBufferOf(path: string): ArrayBuffer {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** The installed v86 package version, or undefined when it is not installed. */
export function v86Version(): string | undefined {
  try {
    return (JSON.parse(readFileSync(require.resolve('v86/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** v86's constructor and the path of its wasm module (also used by bench/v86-net.ts). */
export async function loadV86(): Promise<{ V86: V86Ctor; wasmPath: string }> {
  const libPath = require.resolve('v86/build/libv86.mjs');
  const { V86 } = (await import(pathToFileURL(libPath).href)) as { V86: V86Ctor };
  return { V86, wasmPath: resolve(libPath, '..', 'v86.wasm') };
}

/** The machine both v86 benches boot: the same SeaBIOS, VGA BIOS, disk image and RAM as Bulkhead. */
export function v86MachineOptions(o: BootOptions, wasmPath: string): Record<string, unknown> {
  return {
    wasm_path: wasmPath,
    bios: { buffer: arrayBufferOf(o.bios) },
    vga_bios: { buffer: arrayBufferOf(o.vgaBios) },
    hda: { buffer: arrayBufferOf(o.image) },
    memory_size: o.ramMiB * 1024 * 1024,
  };
}

export async function runV86Boot(o: BootOptions, jit = true): Promise<BootResult> {
  const sampler = new MemorySampler(o.ramMiB * 1024 * 1024);
  const recorder = new ConsoleRecorder();
  const { V86, wasmPath } = await loadV86();
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const cpu0 = process.cpuUsage();
  const emulator = new V86({
    ...v86MachineOptions(o, wasmPath),
    autostart: true,
    disable_jit: !jit,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  });
  // Instruction counter: 32 bits, so sample it often enough to see every wrap.
  let counterHigh = 0;
  let lastCounter = 0;
  const instructions = (): number => {
    const c = emulator.get_instruction_counter() >>> 0;
    if (c < lastCounter) counterHigh += 2 ** 32;
    lastCounter = c;
    return counterHigh + c;
  };
  const counterTimer = setInterval(instructions, 200);
  let debugHooked = false;
  emulator.add_listener('emulator-ready', () => {
    try {
      emulator.v86?.cpu?.io?.register_write(0x402, undefined, (b) => recorder.feed('debug', String.fromCharCode(b), now()));
      debugHooked = true;
    } catch {
      debugHooked = false;
    }
  });
  // SeaBIOS stops writing to port 0x402 once it finds it is not running on QEMU, so its boot
  // line is also looked for on v86's text screen (the same printf goes to both).
  const screen: string[][] = [];
  emulator.add_listener('screen-put-char', (arg) => {
    if (recorder.times['seabios-boot'] !== undefined) return;
    const [row, col, chr] = arg as [number, number, number];
    (screen[row] ??= [])[col] = String.fromCharCode(chr);
    const line = screen[row].join('');
    if (line.includes(MILESTONES[0].text)) recorder.feed('debug', `${line}\n`, now());
  });
  emulator.add_listener('serial0-output-byte', (b) => {
    const c = String.fromCharCode(b as number);
    if (o.verbose) process.stderr.write(c);
    recorder.feed('serial', c, now());
  });

  const goal = o.stopAt ?? (o.workloads ? 'shell' : 'marker');
  const goalIndex = MILESTONES.findIndex((m) => m.id === goal);
  let failure: string | undefined;
  let instructionsAtGoal: number | undefined;
  let secondsAtGoal: number | undefined;
  let storage: BootResult['storage'];
  await new Promise<void>((done) => {
    recorder.onMilestone = (id) => {
      if (MILESTONES.findIndex((x) => x.id === id) >= goalIndex) {
        instructionsAtGoal = instructions();
        secondsAtGoal = now() / 1000;
        done();
      }
    };
    setTimeout(() => {
      failure ??= `did not reach ${recorder.firstMissing(goal)} within ${o.timeoutS} s`;
      done();
    }, o.timeoutS * 1000).unref();
  });
  if (!failure && goal === 'shell' && o.workloads) {
    const link: SerialLink = { recorder, send: (t) => emulator.serial0_send(t), now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
    try {
      storage = await runStorageWorkloads(link, Math.max(60_000, o.timeoutS * 1000));
    } catch (e) {
      storage = { loadmods: { ok: false, output: '', hostMs: 0 }, outputs: {}, error: e instanceof Error ? e.message : String(e) };
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const memory = sampler.stop();
  const total = instructionsAtGoal ?? instructions();
  clearInterval(counterTimer);
  await emulator.stop();
  return {
    emulator: 'v86',
    variant: jit ? 'jit' : 'interpreter',
    ok: failure === undefined,
    goal,
    milestones: toSeconds(recorder.times),
    lastSerialLine: recorder.lastSerialLine(),
    failure,
    instructions: total,
    hostSeconds: secondsAtGoal ?? now() / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    memory,
    storage,
    info: { version: v86Version() ?? 'unknown', debugPortHooked: String(debugHooked), lastMilestone: recorder.lastMilestone() ?? 'none' },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const o = parseBootArgs(process.argv.slice(2), { ...DEFAULT_BOOT });
  const jit = (o.rest.jit ?? 'on') !== 'off';
  let r: BootResult;
  try {
    r = await runV86Boot(o, jit);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    r = {
      emulator: 'v86', variant: jit ? 'jit' : 'interpreter', ok: false, milestones: {}, lastSerialLine: '', failure: `v86 failed: ${message}`,
      hostSeconds: 0, cpuSeconds: 0, memory: { baselineRss: 0, peakRss: 0, peakHeapUsed: 0, peakExternal: 0, guestRam: o.ramMiB << 20 }, info: {},
    };
  }
  process.stdout.write(RESULT_PREFIX + JSON.stringify(r) + '\n');
  process.exit(0);
}
