/**
 * Packet ports across a message channel, transport-agnostic: the far end is anything shaped
 * like a MessagePort or BroadcastChannel (postMessage + 'message' events), injected by the
 * caller, so this file stays pure ES2022.
 *
 *  - `bridgePort(port, endpoint)` forwards a local PacketPort (a switch port, a WebSocket port)
 *    over the endpoint: frames both ways, link state outwards. The main thread uses it to hand
 *    the network worker its NIC's port; two tabs join their switches with
 *    `bridgePort(sw.connect('trunk'), new BroadcastChannel('bulkhead-net'))` — a broadcast
 *    medium never echoes to the sender, and the learning switches keep unicast local.
 *  - `RemotePacketPort(endpoint)` is the PacketPort on the other side (the device worker).
 *
 * Messages are a discriminated union; anything else on the endpoint is ignored, frames outside
 * MIN_FRAME..MAX_FRAME are dropped.
 */
import { Listeners, MAX_FRAME, MIN_FRAME, type PacketPort } from './packet-port.js';

/** What travels over the endpoint. */
export type PortMessage =
  | { t: 'frame'; data: Uint8Array }
  | { t: 'link'; up: boolean }
  | { t: 'hello' };

/** The structural part of MessagePort / BroadcastChannel / worker_threads MessagePort used here. */
export interface MessageEndpoint {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  start?(): void;
}

function asMessage(data: unknown): PortMessage | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const m = data as { t?: unknown; data?: unknown; up?: unknown };
  if (m.t === 'frame') {
    const d = m.data;
    const bytes = d instanceof Uint8Array ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : undefined;
    if (!bytes || bytes.length < MIN_FRAME || bytes.length > MAX_FRAME) return undefined;
    return { t: 'frame', data: bytes };
  }
  if (m.t === 'link' && typeof m.up === 'boolean') return { t: 'link', up: m.up };
  if (m.t === 'hello') return { t: 'hello' };
  return undefined;
}

/** Serve `port` over `endpoint`. Returns a function that stops the bridge. */
export function bridgePort(port: PacketPort, endpoint: MessageEndpoint): () => void {
  const offRx = port.onReceive((frame) => endpoint.postMessage({ t: 'frame', data: frame.slice() } satisfies PortMessage));
  const offLink = port.onLinkChange((up) => endpoint.postMessage({ t: 'link', up } satisfies PortMessage));
  const listener = (ev: { data: unknown }) => {
    const m = asMessage(ev.data);
    if (!m) return;
    if (m.t === 'frame') port.send(m.data);
    // A new far end asks for the current link state.
    else if (m.t === 'hello') endpoint.postMessage({ t: 'link', up: port.linkUp } satisfies PortMessage);
  };
  endpoint.addEventListener('message', listener);
  endpoint.start?.();
  endpoint.postMessage({ t: 'link', up: port.linkUp } satisfies PortMessage);
  return () => {
    offRx();
    offLink();
    endpoint.removeEventListener('message', listener);
  };
}

/** The PacketPort at the far end of a bridge. Link is down until the bridge reports it. */
export class RemotePacketPort implements PacketPort {
  private readonly rx = new Listeners<Uint8Array>();
  private readonly link = new Listeners<boolean>();
  private up = false;
  private readonly listener = (ev: { data: unknown }) => this.message(ev.data);

  constructor(private readonly endpoint: MessageEndpoint) {
    endpoint.addEventListener('message', this.listener);
    endpoint.start?.();
    endpoint.postMessage({ t: 'hello' } satisfies PortMessage);
  }

  get linkUp(): boolean {
    return this.up;
  }
  send(frame: Uint8Array): void {
    if (frame.length < MIN_FRAME || frame.length > MAX_FRAME) return;
    this.endpoint.postMessage({ t: 'frame', data: frame.slice() } satisfies PortMessage);
  }
  onReceive(cb: (frame: Uint8Array) => void): () => void {
    return this.rx.add(cb);
  }
  onLinkChange(cb: (up: boolean) => void): () => void {
    return this.link.add(cb);
  }
  close(): void {
    this.endpoint.removeEventListener('message', this.listener);
    if (this.up) {
      this.up = false;
      this.link.emit(false);
    }
  }

  private message(data: unknown): void {
    const m = asMessage(data);
    if (!m) return;
    if (m.t === 'frame') this.rx.emit(m.data);
    else if (m.t === 'link' && m.up !== this.up) {
      this.up = m.up;
      this.link.emit(m.up);
    }
  }
}

/** `kind` of the structured-cloneable backend description of a NIC in a device worker. */
export const PACKET_PORT_KIND = 'packet-port';

/** What the machine sends as an isolated NIC's backend: `port` is a transferred MessagePort. */
export interface PacketPortDescription {
  kind: typeof PACKET_PORT_KIND;
  port: MessageEndpoint;
}

/**
 * The worker-side backend adapter for PacketPortDescription: register it in the network
 * worker with `registerBackendAdapter(PACKET_PORT_KIND, packetPortFromDescription)`
 * (src/channel/worker-host.ts). Returns undefined (NIC unplugged) for a malformed description.
 */
export function packetPortFromDescription(d: Record<string, unknown>): PacketPort | undefined {
  const p = d.port as Partial<MessageEndpoint> | undefined;
  if (!p || typeof p.postMessage !== 'function' || typeof p.addEventListener !== 'function' || typeof p.removeEventListener !== 'function') return undefined;
  return new RemotePacketPort(p as MessageEndpoint);
}
