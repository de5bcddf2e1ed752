/**
 * A learning Ethernet switch (IEEE 802.1D transparent bridging without spanning tree): every
 * port learns the source MACs it sends, frames to a learned unicast MAC go to that one port,
 * broadcast, multicast and unknown unicast are flooded to every other port whose link is up.
 * Machines in one thread plug NICs into it with `connect()`; the built-in gateway services
 * (src/net/services.ts), a remote bridge (src/net/remote.ts) or a WebSocket uplink attach the
 * same way.
 *
 * Delivery is synchronous but never re-entrant: a frame sent while the switch is forwarding
 * (a service answering inside its receive callback) is queued and forwarded when the current
 * frame is done, so no device sees its own transmit call return after receiving the answer
 * out of order, and the queue is bounded so two ports echoing each other cannot recurse.
 */
import { Listeners, MAX_FRAME, MIN_FRAME, type PacketPort } from './packet-port.js';
import { isMulticastMac, macKey } from './frame.js';

/** Ageing time of learned entries (802.1D default 300 s), in the switch clock's ms. */
export const MAC_AGEING_MS = 300_000;
const MAX_PORTS = 256;
const MAX_TABLE = 4096;
const MAX_QUEUE = 1024;

export interface SwitchOptions {
  /** Milliseconds for ageing; default a counter that never ages entries. */
  nowMs?: () => number;
}

/** Statistics of a switch port (counters only grow). */
export interface SwitchPortStats {
  txFrames: number;
  rxFrames: number;
  dropped: number;
}

/** One port of the switch, as the device behind it sees it: a PacketPort. */
export class SwitchPort implements PacketPort {
  private readonly rx = new Listeners<Uint8Array>();
  private readonly link = new Listeners<boolean>();
  private up = true;
  connected = true;
  readonly stats: SwitchPortStats = { txFrames: 0, rxFrames: 0, dropped: 0 };
  constructor(private readonly sw: VirtualSwitch, readonly id: number, readonly name: string) {}

  get linkUp(): boolean {
    return this.up && this.connected;
  }
  send(frame: Uint8Array): void {
    if (!this.linkUp) {
      this.stats.dropped++;
      return;
    }
    this.stats.txFrames++;
    this.sw.forward(this, frame.slice());
  }
  onReceive(cb: (frame: Uint8Array) => void): () => void {
    return this.rx.add(cb);
  }
  onLinkChange(cb: (up: boolean) => void): () => void {
    return this.link.add(cb);
  }
  /** Unplug/replug the cable: the device sees carrier loss (e1000 STATUS.LU, LSC). */
  setLink(up: boolean): void {
    const before = this.linkUp;
    this.up = up;
    if (this.linkUp !== before) this.link.emit(this.linkUp);
  }
  /** Remove the port from the switch for good. */
  disconnect(): void {
    this.sw.remove(this);
  }
  /** @internal delivery from the switch. */
  deliver(frame: Uint8Array): void {
    this.stats.rxFrames++;
    this.rx.emit(frame);
  }
  /** @internal called by the switch on removal. */
  detached(): void {
    const before = this.linkUp;
    this.connected = false;
    if (before) this.link.emit(false);
  }
}

interface Entry {
  port: SwitchPort;
  seen: number;
}

export class VirtualSwitch {
  private readonly ports: SwitchPort[] = [];
  private readonly table = new Map<string, Entry>();
  private readonly queue: { from: SwitchPort; frame: Uint8Array }[] = [];
  private forwarding = false;
  private nextId = 0;
  private tick = 0;
  private readonly now: () => number;
  /** Frames dropped because the forwarding queue was full. */
  queueDrops = 0;

  constructor(opts: SwitchOptions = {}) {
    this.now = opts.nowMs ?? (() => this.tick);
  }

  /** Plug a new port into the switch. */
  connect(name = `port${this.nextId}`): SwitchPort {
    if (this.ports.length >= MAX_PORTS) throw new Error(`virtual switch: at most ${MAX_PORTS} ports`);
    const p = new SwitchPort(this, this.nextId++, name);
    this.ports.push(p);
    return p;
  }

  get portCount(): number {
    return this.ports.length;
  }

  /** The port a MAC ("525400123456" or "52:54:00:12:34:56") was learned on, if any. */
  lookup(mac: string): SwitchPort | undefined {
    const key = mac.replace(/[:-]/g, '').toLowerCase();
    const e = this.table.get(key);
    if (!e || this.expired(e)) return undefined;
    return e.port;
  }

  /** @internal */
  remove(p: SwitchPort): void {
    const i = this.ports.indexOf(p);
    if (i < 0) return;
    this.ports.splice(i, 1);
    for (const [k, e] of this.table) if (e.port === p) this.table.delete(k);
    p.detached();
  }

  /** @internal a frame entered the switch on `from`. */
  forward(from: SwitchPort, frame: Uint8Array): void {
    if (frame.length < MIN_FRAME || frame.length > MAX_FRAME) {
      from.stats.dropped++;
      return;
    }
    if (this.queue.length >= MAX_QUEUE) {
      this.queueDrops++;
      return;
    }
    this.queue.push({ from, frame });
    if (this.forwarding) return;
    this.forwarding = true;
    try {
      while (this.queue.length) {
        const { from: src, frame: f } = this.queue.shift()!;
        this.forwardOne(src, f);
      }
    } finally {
      this.forwarding = false;
    }
  }

  private expired(e: Entry): boolean {
    return this.now() - e.seen > MAC_AGEING_MS;
  }

  private forwardOne(from: SwitchPort, frame: Uint8Array): void {
    if (!this.ports.includes(from)) return;
    this.tick++;
    // Learn the source (never a multicast source: those are invalid).
    if (!isMulticastMac(frame, 6)) {
      const key = macKey(frame, 6);
      if (this.table.size >= MAX_TABLE && !this.table.has(key)) {
        for (const [k, e] of this.table) if (this.expired(e)) this.table.delete(k);
        if (this.table.size >= MAX_TABLE) this.table.delete(this.table.keys().next().value as string);
      }
      this.table.set(key, { port: from, seen: this.now() });
    }
    if (!isMulticastMac(frame, 0)) {
      const e = this.table.get(macKey(frame, 0));
      if (e && !this.expired(e)) {
        // Known unicast: to that port only (filtered if it is the port it came from).
        if (e.port !== from && e.port.linkUp) e.port.deliver(frame);
        return;
      }
    }
    for (const p of [...this.ports]) if (p !== from && p.linkUp) p.deliver(frame);
  }
}
