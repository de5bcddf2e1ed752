/**
 * The CPU worker's runtime, for browser (src/workers/cpu.worker.ts) and Node
 * (src/node/cpu-worker.ts) alike: creates the one shared WebAssembly.Memory sized from
 * src/machine/layout.ts, instantiates the CPU core (build/core.wasm, through
 * src/machine/cpu-core.ts) over it, and starts one device worker per class through the
 * isolated placement, granting the memory to DMA/framebuffer classes only. Until the machine
 * (src/machine/machine.ts) runs here, the core has no devices wired: its port reads float
 * (all-ones). The control API is what the page's and the tests' topology checks call; the VM
 * itself runs next to it (src/workers/vm-runtime.ts, same worker).
 */
import type { DeviceModel, IrqLine } from '../devices/api.js';
import { computeLayout, type MemoryLayout } from '../machine/layout.js';
import { CpuCore } from '../machine/cpu-core.js';
import { placeDevices, type PlacedDevices, type PlacementServices } from '../channel/placement.js';
import type { DeviceWorkerLauncher, FailureResponse, PlacementEvent, ProbeResult, WorkerClass, WorkerHello } from '../channel/protocol.js';

export interface CpuRuntimeEnv {
  runtime: 'browser' | 'node';
  launcher: DeviceWorkerLauncher;
  /** The bytes of build/core.wasm, or undefined if it is not built. */
  loadCore(): Promise<Uint8Array | undefined>;
  hostNowMs(): number;
}

export interface BootReport {
  layout: MemoryLayout;
  crossOriginIsolated: boolean | undefined;
  core: { status: 'instantiated' | 'missing' | 'failed'; detail: string; exports: string[] };
  workers: WorkerClass[];
}

export interface WorkerReport {
  name: string;
  answered: boolean;
  hasMemory: boolean;
  hello?: WorkerHello;
}

export interface MemoryCheck {
  /** Per worker: did it read the byte the CPU worker wrote, and did the CPU worker read its byte. */
  results: { cls: WorkerClass; sawCpuByte: boolean; cpuSawItsByte: boolean; hasMemory: boolean; error?: string }[];
  /** A byte written by the storage worker was read by the display worker. */
  storageToDisplay: boolean;
}

/** Channel benchmark results (isa-serial's scratch and line-status registers). */
export interface ChannelBench {
  /** Isolated: µs per synchronous read (median over batches of 200). */
  syncReadUs: number;
  /** Isolated: posted writes per second. */
  postedPerS: number;
  /** Isolated: ns per shadow-register read. */
  shadowReadNs: number;
  /** Monolithic (guarded, read timing off, in this worker): ns per read of the same register. */
  localReadNs: number;
  /** The model called directly, no placement: ns per read. */
  rawReadNs: number;
  /** Isolated bulk string I/O, MB/s. */
  bulkMBps: number;
}

/** What a crash of an isolated device did, under a failure response (browser containment test). */
export interface ContainmentReport {
  /** Value of a read issued right after the crash, and how long it took. */
  readAfterCrash: number;
  readMs: number;
  events: PlacementEvent[];
  health: string;
  /** After restart: a scratch-register write read back (-1 if not restarted). */
  scratchAfterRestart: number;
}

export interface CpuWorkerApi {
  boot(opts: { ramMiB?: number }): Promise<BootReport>;
  /** Crash an isa-serial in its console worker under `response` and report what happened. */
  containment(response: FailureResponse): Promise<ContainmentReport>;
  /** Measure the device channel (bench/channel.ts runs it in Chromium). */
  benchChannel(): Promise<ChannelBench>;
  topology(): Promise<WorkerReport[]>;
  memoryCheck(): Promise<MemoryCheck>;
  probe(cls: WorkerClass): Promise<ProbeResult[]>;
  shutdown(): Promise<void>;
}

/** The one part of the WebAssembly API used here (typed structurally: this file also compiles under Node's types). */
interface WasmMemoryApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { readonly buffer: ArrayBufferLike };
}

const silentLine: IrqLine = { set() {}, raise() {}, lower() {}, pulse() {} };

export function createCpuRuntime(env: CpuRuntimeEnv): CpuWorkerApi {
  let memory: { buffer: SharedArrayBuffer; layout: MemoryLayout } | undefined;
  let placed: PlacedDevices | undefined;
  let core: CpuCore | undefined;
  const t0 = env.hostNowMs();
  const need = (): { placed: PlacedDevices; memory: { buffer: SharedArrayBuffer; layout: MemoryLayout } } => {
    if (!placed || !memory) throw new Error('CPU worker: boot() first');
    return { placed, memory };
  };
  const worker = (cls: WorkerClass) => {
    const w = need().placed.workers().find((x) => x.cls === cls);
    if (!w) throw new Error(`no ${cls} worker`);
    return w;
  };

  return {
    async boot({ ramMiB = 64 }) {
      if (placed) throw new Error('CPU worker: already booted');
      const layout = computeLayout(ramMiB);
      const pages = layout.totalBytes / 65536;
      const wasm = (globalThis as unknown as { WebAssembly: WasmMemoryApi }).WebAssembly;
      const wasmMemory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
      memory = { buffer: wasmMemory.buffer as unknown as SharedArrayBuffer, layout };
      const report: BootReport['core'] = { status: 'missing', detail: 'build/core.wasm not found (npm run build:core)', exports: [] };
      try {
        const bytes = await env.loadCore();
        if (bytes) {
          core = new CpuCore(bytes, wasmMemory, {
            portRead: (_p, s) => (s === 1 ? 0xff : s === 2 ? 0xffff : 0xffffffff),
            portWrite: () => {},
            portReadString: () => 0,
            portWriteString: () => 0,
            mmioRead: (_a, s) => (s === 1 ? 0xff : s === 2 ? 0xffff : 0xffffffff),
            mmioWrite: () => {},
            interruptAcknowledge: () => 0xff,
          });
          report.status = 'instantiated';
          report.detail = `core over ${pages} pages of shared memory; CS:EIP after reset ${core.registers().cs?.toString(16) ?? '?'}:${core.registers().eip?.toString(16) ?? '?'}`;
          report.exports = Object.keys(core.exports).sort();
        }
      } catch (e) {
        report.status = 'failed';
        report.detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      placed = await placeDevices([], 'isolated', {
        clock: { now: () => (env.hostNowMs() - t0) * 1e6, createTimer: () => { throw new Error('no machine clock yet'); } },
        hostNowMs: env.hostNowMs,
        irq: () => silentLine,
        memory,
        taint: () => {},
        guestError: () => {},
        log: () => {},
        launcher: env.launcher,
        launchAllClasses: true,
      });
      const g = globalThis as unknown as { crossOriginIsolated?: boolean };
      return { layout, crossOriginIsolated: g.crossOriginIsolated, core: report, workers: placed.workers().map((w) => w.cls) };
    },

    async topology() {
      const { placed, memory } = need();
      const out: WorkerReport[] = [{ name: 'cpu', answered: true, hasMemory: memory.buffer.byteLength > 0 }];
      for (const w of placed.workers()) {
        try {
          const hello = await w.hello();
          out.push({ name: w.cls, answered: hello.cls === w.cls, hasMemory: await w.hasMemory(), hello });
        } catch {
          out.push({ name: w.cls, answered: false, hasMemory: false });
        }
      }
      return out;
    },

    async memoryCheck() {
      const { placed, memory } = need();
      const bytes = new Uint8Array(memory.buffer);
      const results: MemoryCheck['results'] = [];
      let k = 0;
      for (const w of placed.workers()) {
        const off = memory.layout.ramOffset + 0x4000 + 16 * k++;
        const hasMemory = await w.hasMemory();
        try {
          Atomics.store(bytes, off, 0x40 + k);
          const sawCpuByte = hasMemory && (await w.peek(off)) === 0x40 + k;
          if (hasMemory) await w.poke(off + 1, 0x80 + k);
          const cpuSawItsByte = hasMemory && Atomics.load(bytes, off + 1) === 0x80 + k;
          results.push({ cls: w.cls, sawCpuByte, cpuSawItsByte, hasMemory });
        } catch (e) {
          results.push({ cls: w.cls, sawCpuByte: false, cpuSawItsByte: false, hasMemory, error: String(e) });
        }
      }
      const off = memory.layout.vramOffset + 0x100;
      await worker('storage').poke(off, 0x3c);
      const storageToDisplay = (await worker('display').peek(off)) === 0x3c;
      return { results, storageToDisplay };
    },

    probe: (cls) => worker(cls).probe(),

    async containment(response) {
      const events: PlacementEvent[] = [];
      const p = await placeDevices([{ id: 'com1', type: 'isa-serial' }], 'isolated', {
        clock: { now: () => (env.hostNowMs() - t0) * 1e6, createTimer: () => ({ setDeadline() {}, cancel() {}, pending: false }) },
        hostNowMs: env.hostNowMs,
        irq: () => silentLine,
        taint: () => {},
        guestError: () => {},
        log: () => {},
        launcher: env.launcher,
        failureResponse: response,
        onEvent: (e) => events.push(e),
      });
      try {
        const m = p.models.get('com1')!;
        m.ioWrite!(0, 7, 1, 0x5a);
        if (m.ioRead!(0, 7, 1) !== 0x5a) throw new Error('scratch register does not work before the crash');
        p.crash('com1');
        const a = env.hostNowMs();
        const readAfterCrash = m.ioRead!(0, 7, 1);
        const readMs = env.hostNowMs() - a;
        let scratchAfterRestart = -1;
        if (response === 'restart') {
          await p.settled();
          m.ioWrite!(0, 7, 1, 0xa5);
          scratchAfterRestart = m.ioRead!(0, 7, 1);
        }
        return { readAfterCrash, readMs, events, health: p.health('com1'), scratchAfterRestart };
      } finally {
        await p.shutdown();
      }
    },

    async benchChannel() {
      const services = (): PlacementServices => ({
        clock: { now: () => (env.hostNowMs() - t0) * 1e6, createTimer: () => ({ setDeadline() {}, cancel() {}, pending: false }) },
        hostNowMs: env.hostNowMs,
        irq: () => silentLine,
        taint: () => {},
        guestError: () => {},
        log: () => {},
        launcher: env.launcher,
      });
      const spec = [{ id: 'com1', type: 'isa-serial' }];
      const iso = await placeDevices(spec, 'isolated', services());
      const mono = await placeDevices(spec, 'monolithic', { ...services(), monolithicReadTiming: false });
      const SCR = 7, LSR = 5;
      const now = (): number => env.hostNowMs();
      const perOp = (m: DeviceModel, n: number, fn: (m: DeviceModel) => void): number => {
        const a = now();
        for (let i = 0; i < n; i++) fn(m);
        return ((now() - a) * 1e6) / n; // ns
      };
      try {
        const m = iso.models.get('com1')!;
        const local = mono.models.get('com1')!;
        for (let i = 0; i < 20_000; i++) m.ioRead!(0, SCR, 1);
        const batches: number[] = [];
        for (let b = 0; b < 100; b++) batches.push(perOp(m, 200, (d) => d.ioRead!(0, SCR, 1)) / 1000);
        batches.sort((x, y) => x - y);
        const N = 1_000_000;
        let a = now();
        for (let i = 0; i < N; i++) m.ioWrite!(0, SCR, 1, i & 0xff);
        m.ioRead!(0, SCR, 1);
        const postedPerS = N / ((now() - a) / 1000);
        m.ioRead!(0, LSR, 1);
        const shadowReadNs = perOp(m, 1_000_000, (d) => d.ioRead!(0, LSR, 1));
        const localReadNs = perOp(local, 1_000_000, (d) => d.ioRead!(0, LSR, 1));
        const raw = (await import('../devices/registry.js')).findDeviceType('isa-serial')!;
        const rawModel = raw.create({ irq: () => silentLine, clock: { now: () => 0, createTimer: () => ({ setDeadline() {}, cancel() {}, pending: false }) }, log: { log() {} }, taint() {}, guestError() {}, random: () => 0.5 }, { index: 0 });
        const rawReadNs = perOp(rawModel, 1_000_000, (d) => d.ioRead!(0, LSR, 1));
        const buf = new Uint8Array(64 * 1024);
        a = now();
        for (let i = 0; i < 64; i++) { m.ioWriteString!(0, SCR, 1, buf); m.ioReadString!(0, SCR, 1, buf); }
        const bulkMBps = (2 * 64 * buf.length) / 1e6 / ((now() - a) / 1000);
        return { syncReadUs: batches[batches.length >> 1], postedPerS, shadowReadNs, localReadNs, rawReadNs, bulkMBps };
      } finally {
        await iso.shutdown();
        await mono.shutdown();
      }
    },

    async shutdown() {
      await placed?.shutdown();
      placed = undefined;
    },
  };
}
