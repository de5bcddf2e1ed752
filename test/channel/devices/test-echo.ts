/**
 * Test device for the channel suite (class 'console', so it runs in the console worker when
 * isolated). Registers, region 0, 16 ports:
 *   0 (w1/2/4)  fold the value into a running hash (order-sensitive); count it
 *   0 (r4)      the running hash           4 (r4) number of writes (shadow register)
 *   8 (r/w any) loopback FIFO byte port: writes append, reads pop (0xff when empty); string I/O
 *   9 (w1)      interrupt line 0: 0 lower, 1 raise, 2 pulse, 3 raise after 20 ms of virtual time,
 *               4 raise after 300 ms
 *  10 (w4)      busy-loop for `value` ms inside the write (deadline tests)
 *  10 (r4)      busy-loop for the last value written to 10, then return it
 *  11 (w1)      throw from device code (crash tests)
 *  12 (w1)      platform signals: 0/1 set A20, 2 request reset
 *  13 (w1)      0: withdraw the shadow of register 4, 1: publish it again
 * Unknown registers read all-ones, writes are dropped, both report a guest error.
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType } from '../../../src/devices/api.js';

/** A bounded byte FIFO (pop of an empty FIFO reads 0xff; pushes beyond capacity are dropped). */
class ByteFifo {
  private buf: Uint8Array;
  private head = 0;
  private n = 0;
  constructor(capacity: number) { this.buf = new Uint8Array(capacity); }
  push(b: number): void {
    if (this.n === this.buf.length) return;
    this.buf[(this.head + this.n) % this.buf.length] = b;
    this.n++;
  }
  pop(): number {
    if (this.n === 0) return 0xff;
    const b = this.buf[this.head];
    this.head = (this.head + 1) % this.buf.length;
    this.n--;
    return b;
  }
  clear(): void { this.head = 0; this.n = 0; }
  contents(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.buf[(this.head + i) % this.buf.length]);
    return out;
  }
}

export class TestEcho implements DeviceModel {
  hash = 0;
  count = 0;
  busyMs = 0;
  private fifo = new ByteFifo(1 << 20);
  private timer;
  constructor(private readonly host: DeviceHost) {
    this.timer = host.clock.createTimer(() => host.irq(0).raise());
    this.publish();
  }
  private publish(): void {
    this.host.publishShadow?.(0, 4, 4, this.count);
  }
  ioRead(region: number, offset: number, size: AccessSize): number {
    if (region === 0 && offset === 0 && size === 4) return this.hash >>> 0;
    if (region === 0 && offset === 4 && size === 4) return this.count;
    if (region === 0 && offset === 10 && size === 4) {
      const end = Date.now() + this.busyMs;
      while (Date.now() < end) { /* busy */ }
      return this.busyMs;
    }
    if (region === 0 && offset === 8) {
      let v = 0;
      for (let i = 0; i < size; i++) v |= this.fifo.pop() << (8 * i);
      return v >>> 0;
    }
    this.host.guestError(`test-echo: read of unknown register ${region}:${offset}/${size}`);
    return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  }
  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region !== 0) { this.host.guestError('test-echo: bad region'); return; }
    switch (offset) {
      case 0:
        this.hash = (Math.imul(this.hash, 31) + value + size) >>> 0;
        this.count++;
        this.publish();
        return;
      case 8:
        for (let i = 0; i < size; i++) this.fifo.push((value >>> (8 * i)) & 0xff);
        return;
      case 9:
        if (value === 0) this.host.irq(0).lower();
        else if (value === 1) this.host.irq(0).raise();
        else if (value === 2) this.host.irq(0).pulse();
        else if (value === 3) this.timer.setDeadline(this.host.clock.now() + 20e6);
        else if (value === 4) this.timer.setDeadline(this.host.clock.now() + 300e6);
        return;
      case 10: {
        this.busyMs = Math.min(value, 60_000);
        const end = Date.now() + this.busyMs;
        while (Date.now() < end) { /* busy */ }
        return;
      }
      case 11:
        throw new Error('test-echo: crash requested by the guest');
      case 13:
        if (value === 0) this.host.withdrawShadow?.(0, 4);
        else this.publish();
        return;
      case 12:
        if (value === 2) this.host.signals?.requestReset('test-echo');
        else this.host.signals?.setA20(value === 1);
        return;
      default:
        this.host.guestError(`test-echo: write to unknown register ${offset}`);
    }
  }
  ioReadString(region: number, offset: number, size: AccessSize, into: Uint8Array): void {
    if (region !== 0 || offset !== 8) { into.fill(0xff); this.host.guestError('test-echo: string read of a non-FIFO port'); return; }
    for (let i = 0; i < into.length; i++) into[i] = this.fifo.pop();
  }
  ioWriteString(region: number, offset: number, size: AccessSize, from: Uint8Array): void {
    if (region !== 0 || offset !== 8) { this.host.guestError('test-echo: string write to a non-FIFO port'); return; }
    for (const b of from) this.fifo.push(b);
  }
  reset(): void {
    this.hash = 0;
    this.count = 0;
    this.fifo.clear();
    this.timer.cancel();
    this.host.irq(0).lower();
    this.publish();
  }
  saveState(): DeviceState {
    return { type: 'test-echo', version: 1, data: { hash: this.hash, count: this.count, fifo: this.fifo.contents() } };
  }
  loadState(state: DeviceState): void {
    if (state.type !== 'test-echo' || state.version !== 1) throw new Error('test-echo: bad state');
    this.hash = Number(state.data.hash) >>> 0;
    this.count = Number(state.data.count) >>> 0;
    this.fifo.clear();
    if (Array.isArray(state.data.fifo)) for (const b of state.data.fifo as number[]) this.fifo.push(b & 0xff);
    this.publish();
  }
}

export const testEchoType: DeviceType = {
  name: 'test-echo',
  class: 'console',
  bus: 'isa',
  description: 'Channel test device: hash, FIFO, IRQ, slow and crashing registers',
  secure: undefined,
  secureReason: 'test device',
  hotpluggable: false,
  capabilities: ['terminal', 'timers', 'platform-signals'],
  properties: {
    base: { type: 'number', default: 0x7000, description: 'I/O base' },
    failCreate: { type: 'boolean', default: false, description: 'create() throws (tests)' },
  },
  resources: (props) => ({ ports: [{ name: 'echo', base: Number(props.base), length: 16, shadow: [4] }], mmio: [], irqs: [5] }),
  stateVersion: 1,
  create: (host, props) => {
    if (props.failCreate === true) throw new Error('test-echo refuses to be created');
    return new TestEcho(host);
  },
};
