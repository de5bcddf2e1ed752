/**
 * Backends across the worker boundary. A device's backend (a block image, a serial byte stream,
 * an input event source) is an object with methods and cannot be cloned into a device worker.
 * The CPU side exports it: each backend found in the value (directly, or inside a plain record
 * such as IdeBackends / FdcBackends) is served over its own MessageChannel, and the worker side
 * rebuilds an object with the same interface over the other port:
 *
 *   BlockBackend (src/block/api.ts)                    read/write/flush/close as requests
 *   SerialBackend (src/devices/console/serial-backend.ts)  write/modem out; data/modem in
 *   InputBackend (src/devices/input/input-backend.ts)   events in; keyboard LEDs out
 *   PacketPort (src/net/packet-port.ts)                 frames both ways, link state in
 *                                                       (bridgePort / RemotePacketPort, src/net/remote.ts)
 *
 * A PacketPort given as the whole backend (a NIC's) is described as
 * `{ kind: PACKET_PORT_KIND, port }`, the form the network worker's adapter
 * (packetPortFromDescription) takes; nested in a record it is a `{ bridge: 'packet' }` entry.
 *
 * Plain data is copied; OffscreenCanvas and MessagePort values are transferred as they are.
 * Runs in browser workers and Node worker_threads alike (global MessageChannel).
 */
import { BlockError, type BlockBackend, type BlockErrorCode } from '../block/api.js';
import type { ModemInputs, ModemOutputs, SerialBackend } from '../devices/console/serial-backend.js';
import type { InputBackend, InputSink, KeyboardLeds } from '../devices/input/input-backend.js';
import { isPacketPort, type PacketPort } from '../net/packet-port.js';
import { bridgePort, PACKET_PORT_KIND, RemotePacketPort, type MessageEndpoint } from '../net/remote.js';

interface PortLike {
  postMessage(message: unknown, transfer?: unknown[]): void;
  onmessage: ((ev: { data: unknown }) => void) | null;
  close(): void;
}
const MessageChannelCtor = (globalThis as unknown as { MessageChannel: new () => { port1: PortLike; port2: PortLike } }).MessageChannel;

type Bridged =
  | { bridge: 'block'; port: PortLike; size: number; readOnly: boolean; id: string }
  | { bridge: 'serial'; port: PortLike; modemInputs: boolean }
  | { bridge: 'input'; port: PortLike }
  | { bridge: 'packet'; port: PortLike };

export interface ExportedBackend {
  /** Structured-cloneable description: `{ kind: 'bridged', value }`. */
  description: unknown;
  /** Ports and transferable objects to transfer with it. */
  transfer: unknown[];
  /** Stop serving (the worker died or was replaced). */
  dispose(): void;
}

const fn = (o: Record<string, unknown>, k: string): boolean => typeof o[k] === 'function';
const isBlock = (o: Record<string, unknown>): boolean => fn(o, 'read') && fn(o, 'write') && fn(o, 'flush') && typeof o.size === 'number';
const isSerial = (o: Record<string, unknown>): boolean => fn(o, 'write') && fn(o, 'onData');
const isInput = (o: Record<string, unknown>): boolean => fn(o, 'attach');
const isTransferable = (v: object): boolean => {
  const g = globalThis as unknown as Record<string, (new () => object) | undefined>;
  return ['MessagePort', 'OffscreenCanvas', 'ReadableStream', 'WritableStream'].some((n) => typeof g[n] === 'function' && v instanceof g[n]!);
};

function serveBlock(b: BlockBackend, port: PortLike): void {
  port.onmessage = (ev) => {
    const m = ev.data as { t: string; id: number; offset: number; length: number; data: Uint8Array };
    const reply = (p: Promise<Uint8Array | undefined>): void => {
      p.then(
        (data) => port.postMessage({ id: m.id, ok: true, data }, data ? [data.buffer] : []),
        (e: unknown) => port.postMessage({ id: m.id, ok: false, code: e instanceof BlockError ? e.code : 'io', message: String(e instanceof Error ? e.message : e) }),
      );
    };
    switch (m.t) {
      case 'read': { const into = new Uint8Array(Math.max(0, Math.min(m.length, 1 << 26))); reply(b.read(m.offset, into).then(() => into)); break; }
      case 'write': reply(b.write(m.offset, m.data).then(() => undefined)); break;
      case 'flush': reply(b.flush().then(() => undefined)); break;
      case 'close': reply((b.close ? b.close() : Promise.resolve()).then(() => undefined)); break;
    }
  };
}

function serveSerial(s: SerialBackend, port: PortLike): () => void {
  const offData = s.onData((bytes) => port.postMessage({ t: 'data', bytes: bytes.slice() }));
  const offModem = s.onModemInputs?.((lines) => port.postMessage({ t: 'modem', lines }));
  port.onmessage = (ev) => {
    const m = ev.data as { t: string; bytes: Uint8Array; lines: ModemOutputs; on: boolean };
    if (m.t === 'write' && m.bytes instanceof Uint8Array) s.write(m.bytes);
    else if (m.t === 'modemOut') s.setModemOutputs?.({ dtr: !!m.lines?.dtr, rts: !!m.lines?.rts });
    else if (m.t === 'break') s.setBreak?.(!!m.on);
  };
  return () => { offData(); offModem?.(); };
}

function serveInput(i: InputBackend, port: PortLike): () => void {
  const sink: InputSink = {
    key: (code, down) => port.postMessage({ t: 'key', code, down }),
    mouseMove: (dx, dy, dz) => port.postMessage({ t: 'move', dx, dy, dz }),
    mouseButtons: (mask) => port.postMessage({ t: 'buttons', mask }),
  };
  const detach = i.attach(sink);
  port.onmessage = (ev) => {
    const m = ev.data as { t: string; leds: KeyboardLeds };
    if (m.t === 'leds') i.setLeds?.({ scrollLock: !!m.leds?.scrollLock, numLock: !!m.leds?.numLock, capsLock: !!m.leds?.capsLock });
  };
  return detach;
}

/**
 * CPU side: export `value` for a device worker, or undefined when it needs no bridging
 * (absent, or plain cloneable data).
 */
export function exportBackend(value: unknown): ExportedBackend | undefined {
  if (value === undefined || value === null) return undefined;
  const transfer: unknown[] = [];
  const disposers: (() => void)[] = [];
  let bridged = 0;
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'function') throw new Error('a device backend cannot be a bare function');
      return v;
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
    if (isTransferable(v)) { transfer.push(v); return v; }
    const o = v as Record<string, unknown>;
    const channel = (): PortLike => {
      const mc = new MessageChannelCtor();
      transfer.push(mc.port2);
      disposers.push(() => { mc.port1.onmessage = null; mc.port1.close(); });
      bridged++;
      return mc.port1;
    };
    if (isBlock(o)) {
      const b = o as unknown as BlockBackend;
      const mc = channel();
      serveBlock(b, mc);
      return { bridge: 'block', port: transfer[transfer.length - 1], size: b.size, readOnly: b.readOnly, id: b.id };
    }
    if (isSerial(o)) {
      const s = o as unknown as SerialBackend;
      const mc = channel();
      disposers.push(serveSerial(s, mc));
      return { bridge: 'serial', port: transfer[transfer.length - 1], modemInputs: typeof s.onModemInputs === 'function' };
    }
    if (isPacketPort(o)) {
      const mc = channel();
      disposers.push(bridgePort(o as unknown as PacketPort, mc as unknown as MessageEndpoint));
      return { bridge: 'packet', port: transfer[transfer.length - 1] };
    }
    if (isInput(o)) {
      const mc = channel();
      disposers.push(serveInput(o as unknown as InputBackend, mc));
      return { bridge: 'input', port: transfer[transfer.length - 1] };
    }
    if (depth >= 4) throw new Error('device backend nested too deeply to export');
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      if (typeof x === 'function') throw new Error(`device backend: '${k}' is a method of an object the bridge does not know`);
      out[k] = walk(x, depth + 1);
    }
    return out;
  };
  const tree = walk(value, 0);
  if (bridged === 0 && transfer.length === 0) return undefined;
  const root = tree as { bridge?: unknown; port?: unknown } | undefined;
  if (root && root.bridge === 'packet') {
    return { description: { kind: PACKET_PORT_KIND, port: root.port }, transfer, dispose: () => { for (const d of disposers.splice(0)) d(); } };
  }
  return {
    description: { kind: 'bridged', value: tree },
    transfer,
    dispose: () => { for (const d of disposers.splice(0)) d(); },
  };
}

function blockStub(d: Extract<Bridged, { bridge: 'block' }>): BlockBackend {
  let next = 1;
  const pending = new Map<number, { resolve(v: Uint8Array | undefined): void; reject(e: unknown): void }>();
  d.port.onmessage = (ev) => {
    const m = ev.data as { id: number; ok: boolean; data?: Uint8Array; code?: BlockErrorCode; message?: string };
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.data);
    else p.reject(new BlockError(m.code ?? 'io', m.message ?? 'backend error'));
  };
  const call = (msg: Record<string, unknown>, transfer: unknown[] = []): Promise<Uint8Array | undefined> =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      d.port.postMessage({ ...msg, id }, transfer);
    });
  return {
    size: d.size,
    readOnly: d.readOnly,
    id: d.id,
    read: async (offset, into) => {
      const data = await call({ t: 'read', offset, length: into.length });
      if (!data || data.length !== into.length) throw new BlockError('io', 'short read from the bridged backend');
      into.set(data);
    },
    write: async (offset, from) => { const copy = from.slice(); await call({ t: 'write', offset, data: copy }, [copy.buffer]); },
    flush: async () => { await call({ t: 'flush' }); },
    close: async () => { await call({ t: 'close' }); },
  };
}

function serialStub(d: Extract<Bridged, { bridge: 'serial' }>): SerialBackend {
  const receivers = new Set<(b: Uint8Array) => void>();
  const modem = new Set<(l: ModemInputs) => void>();
  const early: Uint8Array[] = [];
  d.port.onmessage = (ev) => {
    const m = ev.data as { t: string; bytes: Uint8Array; lines: ModemInputs };
    if (m.t === 'data') {
      if (receivers.size === 0) { if (early.length < 1024) early.push(m.bytes); }
      else for (const r of receivers) r(m.bytes);
    } else if (m.t === 'modem') for (const r of modem) r(m.lines);
  };
  const s: SerialBackend = {
    write: (bytes) => d.port.postMessage({ t: 'write', bytes: bytes.slice() }),
    onData: (receive) => {
      receivers.add(receive);
      for (const b of early.splice(0)) receive(b);
      return () => receivers.delete(receive);
    },
    setModemOutputs: (lines) => d.port.postMessage({ t: 'modemOut', lines }),
    setBreak: (on) => d.port.postMessage({ t: 'break', on }),
  };
  if (d.modemInputs) s.onModemInputs = (receive) => { modem.add(receive); return () => modem.delete(receive); };
  return s;
}

function inputStub(d: Extract<Bridged, { bridge: 'input' }>): InputBackend {
  let sink: InputSink | undefined;
  const early: Record<string, unknown>[] = [];
  const deliver = (m: Record<string, unknown>, s: InputSink): void => {
    if (m.t === 'key') s.key(String(m.code), !!m.down);
    else if (m.t === 'move') s.mouseMove(Number(m.dx) | 0, Number(m.dy) | 0, Number(m.dz) | 0);
    else if (m.t === 'buttons') s.mouseButtons(Number(m.mask) & 7);
  };
  d.port.onmessage = (ev) => {
    const m = ev.data as Record<string, unknown>;
    if (sink) deliver(m, sink);
    else if (early.length < 4096) early.push(m);
  };
  return {
    attach: (s) => {
      sink = s;
      for (const m of early.splice(0)) deliver(m, s);
      return () => { if (sink === s) sink = undefined; };
    },
    setLeds: (leds) => d.port.postMessage({ t: 'leds', leds }),
  };
}

/** Worker side: rebuild the backend from an exported description's `value`. */
export function importBridged(description: Record<string, unknown>): unknown {
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || isTransferable(v)) return v;
    if (Array.isArray(v)) return v.map(walk);
    const o = v as Record<string, unknown>;
    if (o.bridge === 'block') return blockStub(o as unknown as Extract<Bridged, { bridge: 'block' }>);
    if (o.bridge === 'serial') return serialStub(o as unknown as Extract<Bridged, { bridge: 'serial' }>);
    if (o.bridge === 'input') return inputStub(o as unknown as Extract<Bridged, { bridge: 'input' }>);
    if (o.bridge === 'packet') return new RemotePacketPort(o.port as unknown as MessageEndpoint);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = walk(x);
    return out;
  };
  return walk(description.value);
}
