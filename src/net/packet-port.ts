/**
 * The packet port: the one interface between a network device model (ne2k, e1000) and whatever
 * carries its Ethernet frames (a virtual switch, a WebSocket relay, a bridge to another worker).
 * A frame is a complete Ethernet II / 802.3 frame from the destination MAC up to the end of the
 * payload, without preamble and without the frame check sequence (FCS). Short frames may arrive
 * unpadded; receivers pad to the 60-byte minimum as a wire's sending MAC would.
 *
 * Pure ES2022 (no DOM, no timers): backends get any clock or socket they need injected.
 */

/** Largest frame any port carries (a TSO-free jumbo frame fits; everything larger is dropped). */
export const MAX_FRAME = 16384;
/** Smallest frame a port carries: two MAC addresses and an EtherType. */
export const MIN_FRAME = 14;

/** Link-layer port a NIC model plugs into (passed to the device as host.backend). */
export interface PacketPort {
  /** Hand a frame to the medium. The port copies it if it keeps it; the caller may reuse it. */
  send(frame: Uint8Array): void;
  /** Frames for this port. Callbacks must not keep `frame` (copy it). Returns an unsubscribe. */
  onReceive(cb: (frame: Uint8Array) => void): () => void;
  /** Carrier: false while the medium is disconnected (a closed relay, an unplugged cable). */
  readonly linkUp: boolean;
  /** Called with the new state whenever linkUp changes. Returns an unsubscribe. */
  onLinkChange(cb: (up: boolean) => void): () => void;
}

/** True if `x` structurally is a PacketPort (used by device factories to validate host.backend). */
export function isPacketPort(x: unknown): x is PacketPort {
  if (!x || typeof x !== 'object') return false;
  const p = x as Record<string, unknown>;
  return typeof p.send === 'function' && typeof p.onReceive === 'function' && typeof p.onLinkChange === 'function' && typeof p.linkUp === 'boolean';
}

/** A small listener list that never lets one throwing listener stop the others. */
export class Listeners<T> {
  private list: ((v: T) => void)[] = [];
  /** Errors thrown by listeners (kept for diagnostics; never rethrown into the sender). */
  errors = 0;
  add(cb: (v: T) => void): () => void {
    this.list.push(cb);
    return () => {
      const i = this.list.indexOf(cb);
      if (i >= 0) this.list.splice(i, 1);
    };
  }
  emit(v: T): void {
    for (const cb of [...this.list]) {
      try {
        cb(v);
      } catch {
        this.errors++;
      }
    }
  }
  get size(): number {
    return this.list.length;
  }
}

/**
 * A port whose far end is driven by code (tests, the switch's own ports, bridges): `deliver`
 * pushes a frame to the device, `setLink` changes carrier, and sent frames go to `transmit`.
 */
export class ProgrammablePort implements PacketPort {
  private readonly rx = new Listeners<Uint8Array>();
  private readonly link = new Listeners<boolean>();
  private up: boolean;
  constructor(private transmit: (frame: Uint8Array) => void, linkUp = true) {
    this.up = linkUp;
  }
  get linkUp(): boolean {
    return this.up;
  }
  send(frame: Uint8Array): void {
    if (frame.length < MIN_FRAME || frame.length > MAX_FRAME) return;
    this.transmit(frame.slice());
  }
  onReceive(cb: (frame: Uint8Array) => void): () => void {
    return this.rx.add(cb);
  }
  onLinkChange(cb: (up: boolean) => void): () => void {
    return this.link.add(cb);
  }
  /** Deliver a frame to the device side. */
  deliver(frame: Uint8Array): void {
    if (frame.length < MIN_FRAME || frame.length > MAX_FRAME) return;
    this.rx.emit(frame);
  }
  setLink(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    this.link.emit(up);
  }
  /** Redirect transmitted frames (used when a port is re-plugged). */
  setTransmit(t: (frame: Uint8Array) => void): void {
    this.transmit = t;
  }
}

/** A backend with no medium: link down for ever, frames dropped ("-nic none" with a NIC). */
export class DisconnectedPort implements PacketPort {
  readonly linkUp = false;
  /** Frames the guest tried to send (counted, dropped). */
  dropped = 0;
  send(): void {
    this.dropped++;
  }
  onReceive(): () => void {
    return () => {};
  }
  onLinkChange(): () => void {
    return () => {};
  }
}
