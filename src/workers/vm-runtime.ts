/**
 * The VM in the browser's CPU worker: builds the same machine as Node (createMachine,
 * src/machine/machine.ts) from the page's settings — SeaBIOS, std VGA, i8042, 16550 serial,
 * PIIX3 IDE with linux.img as hda (URL range reads under a copy-on-write overlay), optional
 * NIC — runs it, and connects it to the page: serial bytes and events go out on one stream port
 * (vm-api.ts), keys and serial input come back on it; control is comlink. The screen is painted
 * into the page's OffscreenCanvas (canvas-sink.ts) by the VGA itself: here (monolithic) or in
 * the display worker (isolated).
 */
/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { createMachine, type Machine } from '../machine/machine.js';
import type { DeviceConfig, MachineConfig } from '../machine/config.js';
import type { DeviceWorkerLauncher } from '../channel/protocol.js';
import { CLASS_GETS_MEMORY, type PlacementEvent, type WorkerClass } from '../channel/protocol.js';
import { deviceTypes, findDeviceType } from '../devices/registry.js';
import { parseQmpLine, type QmpAnswer, type QmpCommand } from '../qmp/protocol.js';
import { InputEventHub } from '../devices/input/input-backend.js';
import type { SerialBackend } from '../devices/console/serial-backend.js';
import { canvasBackend, CanvasSink } from './canvas-sink.js';
import { displayMode as screenMode, pngNotBlank } from '../machine/screen-access.js';
import { browserMachineHost, fetchImage, fetchManifest, sha256Hex } from './machine-host.js';
import type { CatalogEntry, DeviceReport, MediaInfo, SecurityReport, VmApi, VmSettings, VmState, VmStatus, VmStreamIn, VmStreamOut, WorkerInfo } from './vm-api.js';
import { DEFAULT_IMAGE, type ImageChoice } from './vm-settings.js';
import type { FetchLike, FetchResponseLike } from '../block/url.js';
import { closeMedium, mediumDevices, openMedium, type OpenedMedium } from './vm-media.js';

const BIOS = 'bios-256k.bin';
const VGA_BIOS = 'vgabios-stdvga.bin';
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
  /** The page's canvas for the next power-on (a canvas can be handed over once). */
  let pendingCanvas: OffscreenCanvas | undefined;
  let serial: SerialBridge | undefined;
  let keys: InputEventHub | undefined;
  let medium: OpenedMedium | undefined;
  let mouseButtons = 0;
  const exports = new Map<number, { medium: OpenedMedium; own: boolean }>();
  let exportSeq = 0;
  const pageFetches = new Map<number, { resolve(r: FetchResponseLike): void; reject(e: Error): void }>();
  let fetchSeq = 0;
  /** A fetch the page makes for us (cross-origin images: this worker's CSP is connect-src 'self'). */
  const pageFetch: FetchLike = (url, init) => new Promise((resolve, reject) => {
    if (!port) return reject(new Error('no page connected'));
    const id = ++fetchSeq;
    pageFetches.set(id, { resolve, reject });
    post({ t: 'fetch', id, url, method: init?.method ?? 'GET', headers: init?.headers ?? {} });
  });
  const events: PlacementEvent[] = [];
  let generation = 0;
  /** Canvas requests to the page (a restarted display worker's), answered by `{t:'canvas'}`. */
  const canvasWaiters = new Map<number, (c: OffscreenCanvas | undefined) => void>();
  let canvasSeq = 0;
  /** A fresh canvas from the page for the machine of generation `gen` (none once it is gone). */
  const pageCanvas = (gen: number) => (): Promise<OffscreenCanvas | undefined> => new Promise((resolve) => {
    if (!port || gen !== generation) return resolve(undefined);
    const id = ++canvasSeq;
    canvasWaiters.set(id, resolve);
    post({ t: 'need-canvas', id });
  });

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
    else if (m.t === 'fetch-result') {
      const w = pageFetches.get(m.id);
      pageFetches.delete(m.id);
      if (!w) return;
      if (m.error !== undefined || m.status === undefined) return w.reject(new Error(m.error ?? 'no answer'));
      const headers = new Map(Object.entries(m.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      const body = m.body ?? new ArrayBuffer(0);
      w.resolve({
        status: m.status,
        statusText: m.statusText,
        headers: { get: (n: string) => headers.get(n.toLowerCase()) ?? null },
        arrayBuffer: async () => body,
        body: null,
      });
    } else if (m.t === 'canvas') {
      const w = canvasWaiters.get(m.id);
      canvasWaiters.delete(m.id);
      w?.(m.canvas);
    } else if (m.t === 'mouse') {
      if (m.dx !== 0 || m.dy !== 0 || m.dz !== 0) keys?.mouseMove(m.dx, m.dy, m.dz);
      if (m.buttons !== mouseButtons) { mouseButtons = m.buttons; keys?.mouseButtons(m.buttons); }
    }
  };

  const sameChoice = (a: ImageChoice, b: ImageChoice): boolean => JSON.stringify(a) === JSON.stringify(b);
  async function open(choice: ImageChoice, file: File | undefined): Promise<OpenedMedium> {
    const manifest = choice.source === 'builtin' ? await fetchManifest() : [];
    return openMedium(choice, {
      manifest,
      file,
      pageFetch,
      onProgress: (url, size, p) => post({ t: 'media-progress', url, size, bytesFetched: p.bytesFetched, requests: p.requests }),
    });
  }

  async function teardown(): Promise<void> {
    generation++;
    for (const w of canvasWaiters.values()) w(undefined);
    canvasWaiters.clear();
    const m = machine;
    machine = undefined;
    if (m) await m.stop('powered off');
    const md = medium;
    medium = undefined;
    if (md) await closeMedium(md);
  }

  async function build(s: VmSettings, gen: number, file: File | undefined): Promise<Machine> {
    notes = [];
    const manifest = await fetchManifest();
    const known = new Set(manifest.map((f) => f.sha256.toLowerCase()));
    const [bios, vgaBios] = await Promise.all([fetchImage(BIOS), fetchImage(VGA_BIOS)]);
    const customFirmware: string[] = [];
    if (!known.has(await sha256Hex(bios))) customFirmware.push(BIOS);
    if (!known.has(await sha256Hex(vgaBios))) customFirmware.push(VGA_BIOS);
    const md = await open(s.image ?? DEFAULT_IMAGE, file);
    if (gen !== generation) {
      await closeMedium(md);
      throw new Error('powered off while starting');
    }
    medium = md;
    const storage = mediumDevices(md);

    serial = new SerialBridge((m) => post(m));
    keys = new InputEventHub();
    const isolated = s.placement === 'isolated';
    const canvas = pendingCanvas;
    pendingCanvas = undefined;
    const devices: DeviceConfig[] = [
      // The page's canvas: painted here (monolithic) or handed to the display worker (isolated),
      // which asks the page for a fresh one when it is restarted after a failure.
      { type: 'VGA', id: 'vga', backend: canvas ? (isolated ? canvasBackend(canvas, pageCanvas(gen)) : new CanvasSink(canvas)) : undefined },
      { type: 'i8042', id: 'kbd', backend: keys },
      { type: 'isa-serial', id: 'com1', props: { index: 0 }, backend: serial },
      ...storage.devices,
    ];
    if (s.nic !== 'none') {
      const t = findDeviceType(s.nic);
      if (!t || t.class !== 'network') throw new Error(`unknown network device '${s.nic}'`);
      // A private virtual switch with the built-in DHCP server and gateway (src/machine/net-wiring.ts):
      // the guest's udhcpc gets an address. Relaying to the outside (a WebSocket netdev) is not
      // offered by the page yet.
      devices.push({ type: t.name, id: 'nic', props: { netdev: 'lan' } });
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
      bootOrder: storage.bootOrder,
      onTripleFault: 'reset',
      netdevs: s.nic !== 'none' ? [{ id: 'lan', kind: 'switch' }] : undefined,
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
    },

    catalog(): CatalogEntry[] {
      return deviceTypes.map((t) => ({ name: t.name, class: t.class, description: t.description, secure: t.secure, secureReason: t.secureReason ?? '' }));
    },

    async powerOn(s: VmSettings, file?: File): Promise<VmStatus> {
      await teardown();
      const gen = generation;
      settings = { ...s };
      events.length = 0;
      error = undefined;
      setState('starting');
      let m: Machine;
      try {
        m = await build(settings, gen, file);
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
      for (const q of m.qmpEvents) post({ t: 'qmp', event: q });
      m.events.on('qmp', (q) => post({ t: 'qmp', event: q }));
      m.events.on('stuck', ({ reason }) => post({ t: 'log', level: 'error', source: 'machine', message: `guest stuck: ${reason}` }));
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

    screenCanvas(canvas: OffscreenCanvas) {
      pendingCanvas = canvas;
    },

    async screenshotPng() {
      return machine ? machine.screenshotPng() : undefined;
    },

    async screenText() {
      return machine ? machine.screenText() : '';
    },

    async displayMode() {
      return machine ? screenMode(machine) : undefined;
    },

    async screenNotBlank() {
      const png = machine ? await machine.screenshotPng() : undefined;
      return png !== undefined && pngNotBlank(png) === true;
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

    async qmp(input: QmpCommand): Promise<QmpAnswer> {
      // The command line's checks (src/qmp/protocol.ts), so a malformed command gets the same
      // answer on both paths: not an object, no 'execute', non-object 'arguments'.
      let text: string | undefined;
      try {
        text = JSON.stringify(input);
      } catch (e) {
        return { error: { class: 'GenericError', desc: `QMP input is not JSON: ${errText(e)}` } };
      }
      const cmd = parseQmpLine(text ?? '');
      if (!('execute' in cmd)) return cmd;
      const m = machine;
      if (!m) return { error: { class: 'GenericError', desc: `the machine is ${state}: power it on first` }, ...(cmd.id === undefined ? {} : { id: cmd.id }) };
      try {
        return await m.qmp(cmd);
      } catch (e) {
        return { error: { class: 'GenericError', desc: errText(e) } };
      }
    },

    async mediaInfo(choice?: ImageChoice, file?: File): Promise<MediaInfo> {
      const useRunning = medium && (!choice || sameChoice(choice, medium.choice));
      const md = useRunning ? medium! : await open(choice ?? settings?.image ?? DEFAULT_IMAGE, file);
      try {
        return {
          choice: md.choice,
          id: md.base.id,
          size: md.base.size,
          writable: md.overlay !== undefined,
          changedBlocks: md.overlay?.dirtyBlocks ?? 0,
          blockSize: md.overlay?.blockSize ?? 0,
        };
      } finally {
        if (!useRunning) await closeMedium(md);
      }
    },

    async discardChanges(choice: ImageChoice, file?: File): Promise<void> {
      // Decision (docs/app.md): discarding the medium the machine runs from powers it off first;
      // a guest must never see its disk change under it.
      if (medium && sameChoice(choice, medium.choice)) {
        await teardown();
        setState('off');
      }
      const md = await open(choice, file);
      try {
        await md.overlay?.discard();
      } finally {
        await closeMedium(md);
      }
    },

    async exportOpen(choice: ImageChoice, file?: File) {
      const running = medium && sameChoice(choice, medium.choice) ? medium : undefined;
      const md = running ?? (await open(choice, file));
      const handle = ++exportSeq;
      exports.set(handle, { medium: md, own: !running });
      return { handle, size: md.backend.size, name: md.name };
    },

    async exportRead(handle: number, offset: number, length: number): Promise<Uint8Array> {
      const e = exports.get(handle);
      if (!e) throw new Error(`no open export ${handle}`);
      const buf = new Uint8Array(Math.max(0, Math.min(length, e.medium.backend.size - offset)));
      await e.medium.backend.read(offset, buf);
      return Comlink.transfer(buf, [buf.buffer]);
    },

    async exportClose(handle: number): Promise<void> {
      const e = exports.get(handle);
      exports.delete(handle);
      if (e?.own) await closeMedium(e.medium);
    },
  };
}
