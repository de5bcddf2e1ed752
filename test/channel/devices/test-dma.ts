/**
 * Test DMA device for the channel suite (class 'storage', capability guest-memory). Region 0:
 *   0 (w4) guest physical address     4 (w4) length
 *   8 (w1) command: 1 = fill [addr, addr+len) with bytes (seed + i) & 0xff, where seed is the
 *          value written to 12, then raise IRQ 0; 2 = compute the checksum of the range
 *          3 = ISA DMA device->memory of 16 bytes (seed + i) on channel 3, then pulse IRQ 0;
 *          4 = ISA DMA memory->device of 16 bytes on channel 3, checksum them, then pulse IRQ 0
 *  12 (w4) seed                        12 (r4) the last checksum (sum of bytes, mod 2^32)
 * Copies out of guest memory before computing (never re-reads after checking).
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceType } from '../../../src/devices/api.js';

class TestDma implements DeviceModel {
  addr = 0;
  len = 0;
  seed = 0;
  sum = 0;
  constructor(private readonly host: DeviceHost) {}
  ioRead(region: number, offset: number, size: AccessSize): number {
    if (region === 0 && offset === 12 && size === 4) return this.sum >>> 0;
    this.host.guestError(`test-dma: read of unknown register ${offset}`);
    return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  }
  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    const mem = this.host.memory;
    if (region !== 0) return;
    if (offset === 0) this.addr = value >>> 0;
    else if (offset === 4) this.len = Math.min(value >>> 0, 1 << 20);
    else if (offset === 12) this.seed = value >>> 0;
    else if (offset === 8 && (value === 3 || value === 4)) {
      const data = new Uint8Array(16);
      if (value === 3) for (let i = 0; i < 16; i++) data[i] = (this.seed + i) & 0xff;
      void this.host.isaDma?.transfer(3, data, value === 3).then((r) => {
        if (value === 4) { let s = 0; for (let i = 0; i < r.moved; i++) s = (s + data[i]) >>> 0; this.sum = s; }
        this.host.irq(0).pulse();
      });
    } else if (offset === 8 && mem) {
      const buf = new Uint8Array(this.len);
      if (value === 1) {
        for (let i = 0; i < buf.length; i++) buf[i] = (this.seed + i) & 0xff;
        if (mem.write(this.addr, buf)) this.host.irq(0).pulse();
        else this.host.guestError('test-dma: write outside guest memory');
      } else if (value === 2) {
        mem.read(this.addr, buf);
        let s = 0;
        for (const b of buf) s = (s + b) >>> 0;
        this.sum = s;
      }
    } else this.host.guestError(`test-dma: write to unknown register ${offset}`);
  }
}

export const testDmaType: DeviceType = {
  name: 'test-dma',
  class: 'storage',
  bus: 'isa',
  description: 'Channel test device: DMA into guest memory',
  secure: undefined,
  secureReason: 'test device',
  hotpluggable: false,
  capabilities: ['guest-memory'],
  properties: {},
  resources: () => ({ ports: [{ name: 'dma', base: 0x7100, length: 16 }], mmio: [], irqs: [6], dmaChannels: [3] }),
  stateVersion: 0,
  create: (host) => new TestDma(host),
};
