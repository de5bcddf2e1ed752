/**
 * CPU-side stand-in for a device that runs in a device worker: implements DeviceModel (the
 * same interface the I/O router uses for local devices) by forwarding over the worker's
 * channel — writes posted, reads answered synchronously or from the shadow page, string I/O
 * in chunks through the data area, state as JSON through the data area. While the worker is
 * failed, detached or restarting, reads return all-ones and writes are dropped, without
 * waiting (google/crosvm devices/src/proxy.rs is the same idea over a socket).
 */
import type { AccessSize, DeviceModel, DeviceState } from '../devices/api.js';
import type { ChannelClient } from './client.js';
import { DATA_BYTES, PostedOp, RequestOp, SHADOW_WORD, allOnes } from './layout.js';
import type { DeviceHealth, DeviceStats } from './protocol.js';
import { utf8Decode, utf8Encode } from './utf8.js';

/** What a proxy needs from the worker slot that owns its channel. */
export interface ProxyLink {
  /** The live channel, or undefined while failed/restarting. */
  readonly client?: ChannelClient;
  readonly health: DeviceHealth;
  /** Deliver IRQ/signal changes right after an answer (reads have immediate side effects). */
  afterRequest(): void;
}

export class ChannelDeviceProxy implements DeviceModel {
  /**
   * Per region, by offset: the shadow slot's value word in the channel (SHADOW_WORD + slot * 2),
   * 0 when the register is not shadowed. Built at attach, so a read indexes it directly.
   */
  private readonly shadow: (Int32Array | undefined)[] = [];
  /** Last pciBarChanged per BAR, replayed into a restarted worker. */
  readonly bars = new Map<number, { base: number; enabled: boolean }>();

  constructor(private readonly link: ProxyLink, readonly dev: number, readonly id: string, readonly stats: DeviceStats, methods: readonly string[]) {
    const m = new Set(methods);
    // A model without state support must look like one to the machine.
    const self = this as unknown as Record<string, unknown>;
    if (!m.has('saveState')) self.saveState = undefined;
    if (!m.has('loadState')) self.loadState = undefined;
  }

  /** Serve reads of (region, offset) from shadow slot `slot` when possible. */
  addShadow(region: number, offset: number, slot: number): void {
    let t = this.shadow[region];
    if (!t || t.length <= offset) {
      const n = new Int32Array(Math.max(offset + 1, t ? t.length : 0));
      if (t) n.set(t);
      this.shadow[region] = t = n;
    }
    t[offset] = SHADOW_WORD + slot * 2;
  }

  /** The channel while the device runs (the slot drops its client on any failure). */
  private live(): ChannelClient | undefined {
    const c = this.link.client;
    return c !== undefined && !c.failed ? c : undefined;
  }

  private read(op: RequestOp, region: number, offset: number, size: AccessSize): number {
    const c = this.live();
    if (!c) return allOnes(size);
    this.stats.reads++;
    const v = c.request(op, this.dev, region, offset, size, 0);
    this.stats.blockedMs += c.lastBlockedMs;
    this.link.afterRequest();
    return v;
  }

  private write(op: PostedOp, region: number, offset: number, size: AccessSize, value: number): void {
    const c = this.live();
    if (!c) return;
    if (c.post(op, this.dev, region, offset, size, value)) this.stats.postedWrites++;
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    const t = this.shadow[region];
    if (t !== undefined && offset < t.length) {
      const word = t[offset];
      const c = this.link.client;
      if (word !== 0 && c !== undefined) {
        const v = c.shadowRead(word, size);
        if (v >= 0) {
          this.stats.shadowReads++;
          return v;
        }
      }
    }
    return this.read(RequestOp.IoRead, region, offset, size);
  }
  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    this.write(PostedOp.IoWrite, region, offset, size, value);
  }
  mmioRead(region: number, offset: number, size: AccessSize): number {
    return this.read(RequestOp.MmioRead, region, offset, size);
  }
  mmioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    this.write(PostedOp.MmioWrite, region, offset, size, value);
  }
  pciConfigRead(offset: number, size: AccessSize): number {
    return this.read(RequestOp.PciConfigRead, 0, offset, size);
  }
  pciConfigWrite(offset: number, size: AccessSize, value: number): void {
    this.write(PostedOp.PciConfigWrite, 0, offset, size, value);
  }
  pciBarChanged(bar: number, base: number, enabled: boolean): void {
    this.bars.set(bar, { base, enabled });
    this.write(PostedOp.PciBarChanged, bar, base, 4, enabled ? 1 : 0);
  }
  reset(): void {
    this.write(PostedOp.Reset, 0, 0, 1, 0);
  }
  destroy(): void {
    this.write(PostedOp.Destroy, 0, 0, 1, 0);
  }

  ioReadString(region: number, offset: number, size: AccessSize, into: Uint8Array): void {
    const per = Math.floor(DATA_BYTES / size);
    const total = Math.floor(into.length / size);
    for (let done = 0; done < total; ) {
      const n = Math.min(per, total - done);
      const c = this.live();
      if (!c) { into.fill(0xff, done * size); return; }
      c.request(RequestOp.IoReadString, this.dev, region, offset, size, n);
      this.stats.blockedMs += c.lastBlockedMs;
      if (c.failed || !c.lastResponse().ok) { into.fill(0xff, done * size); return; }
      into.set(c.data.subarray(0, n * size), done * size);
      this.stats.bulkBytes += n * size;
      done += n;
    }
    this.link.afterRequest();
  }

  ioWriteString(region: number, offset: number, size: AccessSize, from: Uint8Array): void {
    const per = Math.floor(DATA_BYTES / size);
    const total = Math.floor(from.length / size);
    for (let done = 0; done < total; ) {
      const n = Math.min(per, total - done);
      const c = this.live();
      if (!c) return;
      c.data.set(from.subarray(done * size, (done + n) * size));
      c.request(RequestOp.IoWriteString, this.dev, region, offset, size, n);
      this.stats.blockedMs += c.lastBlockedMs;
      if (c.failed) return;
      this.stats.bulkBytes += n * size;
      done += n;
    }
    this.link.afterRequest();
  }

  saveState(): DeviceState {
    const c = this.live();
    if (!c) throw new Error(`${this.id}: device is ${this.link.health}; its state is lost`);
    c.request(RequestOp.SaveState, this.dev, 0, 0, 4, 0);
    const r = c.lastResponse();
    if (c.failed) throw new Error(`${this.id}: device failed while saving state`);
    if (!r.ok) throw new Error(`${this.id}: state of ${r.value} bytes exceeds the ${DATA_BYTES}-byte channel data area`);
    return JSON.parse(utf8Decode(c.data.slice(0, r.value))) as DeviceState;
  }

  loadState(state: DeviceState): void {
    const c = this.live();
    if (!c) throw new Error(`${this.id}: device is ${this.link.health}`);
    const bytes = utf8Encode(JSON.stringify(state));
    if (bytes.length > DATA_BYTES) throw new Error(`${this.id}: state of ${bytes.length} bytes exceeds the channel data area`);
    c.data.set(bytes);
    c.request(RequestOp.LoadState, this.dev, 0, 0, 4, bytes.length);
    if (c.failed || !c.lastResponse().ok) throw new Error(`${this.id}: loadState failed in the device worker`);
  }

  /** Wait until every posted write has been applied (a round trip). */
  barrier(): void {
    const c = this.live();
    if (c) c.request(RequestOp.Barrier, this.dev, 0, 0, 4, 0);
  }
}
