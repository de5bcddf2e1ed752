/**
 * The VM in the browser's CPU worker: builds the same machine as Node (createMachine,
 * src/machine/machine.ts) from the page's settings — SeaBIOS, std VGA, i8042, 16550 serial,
 * PIIX3 IDE with linux.img as hda (URL range reads under a copy-on-write overlay), optional
 * NIC — runs it, and connects it to the page: serial bytes, screen frames and events go out on
 * one stream port (vm-api.ts), keys and serial input come back on it; control is comlink.
 */
/// <reference lib="webworker" />
import { createMachine, type Machine } from '../machine/machine.js';
import type { DeviceConfig, MachineConfig } from '../machine/config.js';
import type { DeviceWorkerLauncher } from '../channel/protocol.js';
import { CLASS_GETS_MEMORY, type PlacementEvent, type WorkerClass } from '../channel/protocol.js';
import { deviceTypes, findDeviceType } from '../devices/registry.js';
import { UrlBlock } from '../block/url.js';
import { OverlayBlock } from '../block/overlay.js';
import { InputEventHub } from '../devices/input/input-backend.js';
import type { SerialBackend } from '../devices/console/serial-backend.js';
import type { DisplaySink, FrameUpdate } from '../devices/display/render/types.js';
import { browserMachineHost, fetchImage, fetchManifest, imagesBase, sha256Hex } from './machine-host.js';
import type { CatalogEntry, DeviceReport, SecurityReport, VmApi, VmSettings, VmState, VmStatus, VmStreamIn, VmStreamOut, WorkerInfo } from './vm-api.js';

const BIOS = 'bios-256k.bin';
const VGA_BIOS = 'vgabios-stdvga.bin';
const HDA = 'linux.img';
/** Frames go to the page at most this often (host ms). */
const FRAME_PERIOD_MS = 40;

/** The screen: the VGA's DisplaySink, merging dirty rows until the next post. */
class FrameForwarder implements DisplaySink {
  latest: FrameUpdate | undefined;
  private y0 = Infinity;
  private y1 = -1;
  private sentW = 0;
  private sentH = 0;
  constructor(private readonly post: (m: VmStreamOut, transfer: Transferable[]) => void) {}

  present(update: FrameUpdate): void {
    this.latest = update;
    if (update.dirty) {
      this.y0 = Math.min(this.y0, update.dirty.y0);
      this.y1 = Math.max(this.y1, update.dirty.y1);
    }
  }

  flush(): void {
    const f = this.latest;
    if (!f || f.width === 0 || f.height === 0) return;
    if (f.width !== this.sentW || f.height !== this.sentH) {
      this.y0 = 0;
      this.y1 = f.height;
    }
    if (this.y1 <= this.y0) return;
    const y0 = Math.max(0, this.y0), y1 = Math.min(f.height, this.y1);
    this.y0 = Infinity;
    this.y1 = -1;
    if (y1 <= y0) return;
    const rgba = f.rgba.slice(y0 * f.width * 4, y1 * f.width * 4);
    this.sentW = f.width;
    this.sentH = f.height;
    this.post({ t: 'frame', width: f.width, height: f.height, y0, y1, rgba }, [rgba.buffer]);
  }

  /** Repaint everything at the next flush (a new page connected). */
  invalidate(): void {
    this.sentW = 0;
  }
}

/** A serial byte stream between the guest's COM1 and the page's terminal. */
class SerialBridge implements SerialBackend {
  private receive: ((bytes: Uint8Array) => void) | undefined;
  constructor(private readonly post: (m: VmStreamOut) => void) {}
  write(bytes: Uint8Array): void {
    this.post({ t: 'serial', data: bytes.slice() });
  }
  onData(receive: (bytes: Uint8Array) => void): () => void {
    this.receive = receive;
    return () => { if (this.receive === receive) this.receive = undefined; };
  }
  input(bytes: Uint8Array): void {
    this.receive?.(bytes);
  }
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function createVmRuntime(env: { launcher: DeviceWorkerLauncher; hostNowMs(): number }): VmApi {
  let port: MessagePort | undefined;
  let machine: Machine | undefined;
  let settings: VmSettings | undefined;
  let state: VmState = 'off';
  let error: string | undefined;
  let notes: string[] = [];
  let poweredAt = 0;
  let ipsAt = { t: 0, n: 0 };
  let ips = 0;
  let frames: FrameForwarder | undefined;
  let frameTimer: ReturnType<typeof setInterval> | undefined;
  let serial: SerialBridge | undefined;
  let keys: InputEventHub | undefined;
  const events: PlacementEvent[] = [];
  let generation = 0;

  const post = (m: VmStreamOut, transfer: Transferable[] = []): void => port?.postMessage(m, transfer);
  const setState = (s: VmState, err?: string): void => {
    state = s;
    if (err !== undefined) error = err;
    post({ t: 'state', state: s, error: err });
  };
  const instructions = (): number => machine?.loopStats.instructions ?? 0;

  const onStream = (ev: MessageEvent): void => {
    const m = ev.data as VmStreamIn;
    if (m.t === 'serial-in') serial?.input(m.data);
    else if (m.t === 'key') keys?.key(m.code, m.down);
  };

  async function teardown(): Promise<void> {
    generation++;
    if (frameTimer !== undefined) clearInterval(frameTimer);
    frameTimer = undefined;
    const m = machine;
    machine = undefined;
    if (m) await m.stop('powered off');
  }

  async function build(s: VmSettings, gen: number): Promise<Machine> {
    notes = [];
    const manifest = await fetchManifest();
    const known = new Set(manifest.map((f) => f.sha256.toLowerCase()));
    if (!manifest.some((f) => f.name === HDA)) throw new Error(`${HDA} is not in /images/manifest.json — run \`npm run images\``);
    const [bios, vgaBios] = await Promise.all([fetchImage(BIOS), fetchImage(VGA_BIOS)]);
    const customFirmware: string[] = [];
    if (!known.has(await sha256Hex(bios))) customFirmware.push(BIOS);
    if (!known.has(await sha256Hex(vgaBios))) customFirmware.push(VGA_BIOS);
    const url = await UrlBlock.open(imagesBase() + HDA, {
      fetch: (u, init) => fetch(u, init),
      kind: 'disk',
    });
    const hda = await OverlayBlock.open(url);
    if (gen !== generation) throw new Error('powered off while starting');

    frames = new FrameForwarder(post);
    serial = new SerialBridge((m) => post(m));
    keys = new InputEventHub();
    const isolated = s.placement === 'isolated';
    const devices: DeviceConfig[] = [
      // The display sink is an object with a method the worker bridge cannot carry: in the
      // isolated placement the VGA runs without a picture (see docs/app.md).
      { type: 'VGA', id: 'vga', backend: isolated ? undefined : frames },
      { type: 'i8042', id: 'kbd', backend: keys },
      { type: 'isa-serial', id: 'com1', props: { index: 0 }, backend: serial },
      { type: 'piix3-ide', id: 'ide', props: { hda: 'ide-hd' }, backend: { hda } },
    ];
    if (isolated) notes.push('isolated placement: the screen is not painted yet (the display worker has no canvas sink); use the serial terminal');
    if (s.nic !== 'none') {
      const t = findDeviceType(s.nic);
      if (!t || t.class !== 'network') throw new Error(`unknown network device '${s.nic}'`);
      devices.push({ type: t.name, id: 'nic' });
      notes.push(`${t.name}: no network backend in the browser yet (link down)`);
    }
    const config: MachineConfig = {
      ramMiB: s.ramMiB,
      bios,
      vgaBios,
      devices,
      placement: s.placement,
      onDeviceFailure: s.failureResponse,
      policy: s.policy,
      customFirmware,
      onTripleFault: 'reset',
    };
    // Log lines reach the page through the machine's 'log' event (powerOn), not a host logger.
    const host = browserMachineHost({ launcher: env.launcher });
    return createMachine(config, host);
  }

  return {
    connect(p: MessagePort) {
      port?.close();
      port = p;
      port.onmessage = onStream;
      frames?.invalidate();
    },

    catalog(): CatalogEntry[] {
      return deviceTypes.map((t) => ({ name: t.name, class: t.class, description: t.description, secure: t.secure, secureReason: t.secureReason ?? '' }));
    },

    async powerOn(s: VmSettings): Promise<VmStatus> {
      await teardown();
      const gen = generation;
      settings = { ...s };
      events.length = 0;
      error = undefined;
      setState('starting');
      let m: Machine;
      try {
        m = await build(settings, gen);
      } catch (e) {
        setState('failed', errText(e));
        throw e instanceof Error ? e : new Error(String(e));
      }
      if (gen !== generation) {
        await m.stop('powered off');
        throw new Error('powered off while starting');
      }
      machine = m;
      m.events.on('state', ({ state: st }) => setState(st));
      m.events.on('log', ({ level, source, message }) => post({ t: 'log', level, source, message }));
      m.events.on('device', (e) => { events.push(e); post({ t: 'device', event: e }); });
      m.events.on('stuck', ({ reason }) => post({ t: 'log', level: 'error', source: 'machine', message: `guest stuck: ${reason}` }));
      frameTimer = setInterval(() => frames?.flush(), FRAME_PERIOD_MS);
      poweredAt = env.hostNowMs();
      ipsAt = { t: poweredAt, n: 0 };
      ips = 0;
      m.start();
      return this.status();
    },

    async powerOff() {
      await teardown();
      setState('off');
    },

    reset() {
      machine?.reset('user');
    },

    async pause() {
      await machine?.pause();
    },

    resume() {
      machine?.resume();
    },

    ctrlAltDel() {
      if (!keys) return;
      for (const c of ['ControlLeft', 'AltLeft', 'Delete']) keys.key(c, true);
      for (const c of ['Delete', 'AltLeft', 'ControlLeft']) keys.key(c, false);
    },

    status(): VmStatus {
      const now = env.hostNowMs();
      const n = instructions();
      if (now - ipsAt.t >= 250) {
        ips = ((n - ipsAt.n) * 1000) / (now - ipsAt.t);
        ipsAt = { t: now, n };
      }
      return {
        state,
        instructions: n,
        ips: state === 'running' ? ips : 0,
        uptimeMs: machine ? now - poweredAt : 0,
        virtualTimeNs: machine?.clock.now() ?? 0,
        placement: settings?.placement,
        notes: [...notes],
        error,
      };
    },

    security(): SecurityReport {
      const m = machine;
      const placed = m?.placed;
      const devices: DeviceReport[] = [];
      const byClass = new Map<string, { devices: string[]; caps: Set<string> }>();
      const busStats = m?.report().devices ?? [];
      for (const d of m?.devices ?? []) {
        const chipset = d.type.class === 'chipset';
        const where = chipset || placed?.placement === 'monolithic' ? 'cpu worker' : `${d.type.class} worker`;
        const st = busStats.find((x) => x.id === d.id);
        devices.push({
          id: d.id,
          type: d.type.name,
          class: d.type.class,
          secure: d.type.secure,
          where,
          health: chipset || !placed ? 'chipset' : placed.health(d.id),
          stats: chipset || !placed ? undefined : placed.stats(d.id),
          reads: st?.reads ?? 0,
          writes: st?.writes ?? 0,
          guestErrors: d.guestErrors,
          capabilities: [...d.type.capabilities],
        });
        const w = chipset ? 'cpu' : placed?.placement === 'isolated' ? d.type.class : 'cpu';
        const e = byClass.get(w) ?? { devices: [], caps: new Set<string>() };
        e.devices.push(d.id);
        for (const c of d.type.capabilities) e.caps.add(c);
        byClass.set(w, e);
      }
      const workers: WorkerInfo[] = [{ name: 'control plane (page)', devices: [], capabilities: ['DOM', 'settings (IndexedDB)', 'no guest memory'] }];
      const cpu = byClass.get('cpu');
      workers.push({ name: 'cpu', devices: cpu?.devices ?? [], capabilities: ['guest memory', 'CPU core (wasm)', 'fetch same-origin', 'starts device workers', ...(cpu ? [...cpu.caps] : [])] });
      for (const w of placed?.placement === 'isolated' ? placed.workers() : []) {
        const e = byClass.get(w.cls);
        const mem = CLASS_GETS_MEMORY[w.cls as WorkerClass] ? 'guest memory' : 'no guest memory';
        workers.push({ name: w.cls, devices: w.devices, capabilities: [mem, ...(e ? [...e.caps] : [])], health: w.health });
      }
      return {
        policy: settings?.policy ?? 'none',
        placement: placed?.placement ?? settings?.placement,
        tainted: m?.security.tainted ?? false,
        taints: m ? m.security.reasons.map((r) => ({ device: r.device ?? r.source, reason: r.message })) : [],
        workers,
        devices,
        events: [...events],
      };
    },

    screenshotPng() {
      return machine ? machine.display()?.screenshotPng() : undefined;
    },

    screenText() {
      return machine ? machine.display()?.screenText() ?? '' : '';
    },

    crashDevice(id: string) {
      const p = machine?.placed;
      if (!p) throw new Error('no placed devices');
      p.crash(id);
    },

    hangDevice(id: string) {
      const p = machine?.placed;
      if (!p) throw new Error('no placed devices');
      p.hang(id);
    },
  };
}
