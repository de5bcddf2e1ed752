/**
 * Test device using backends (class 'storage'): backend = { disk: BlockBackend,
 * serial: SerialBackend, input: InputBackend }, to test the backend bridge into device workers.
 * Region 0:
 *   0 (w4) read `value` bytes at the disk offset set by 4, sum them, then pulse IRQ 0
 *   4 (w4) disk offset                       8 (w1) send the byte to the serial backend
 *   0 (r4) the last disk checksum (0xffffffff on a backend error)
 *  12 (r4) bytes received from the serial backend   16 (r4) keys pressed on the input backend
 *  20 (w4) write 4 bytes (the value, little-endian) to the disk at the offset, then pulse IRQ 0
 */
import type { BlockBackend } from '../../../src/block/api.js';
import type { AccessSize, DeviceHost, DeviceModel, DeviceType } from '../../../src/devices/api.js';
import type { SerialBackend } from '../../../src/devices/console/serial-backend.js';
import type { InputBackend } from '../../../src/devices/input/input-backend.js';

interface Backends { disk?: BlockBackend; serial?: SerialBackend; input?: InputBackend }

class TestBackend implements DeviceModel {
  offset = 0;
  sum = 0;
  received = 0;
  keys = 0;
  private readonly b: Backends;
  constructor(private readonly host: DeviceHost) {
    this.b = (host.backend ?? {}) as Backends;
    this.b.serial?.onData((bytes) => { this.received += bytes.length; });
    this.b.input?.attach({ key: (_c, down) => { if (down) this.keys++; }, mouseMove() {}, mouseButtons() {} });
  }
  ioRead(_r: number, offset: number, size: AccessSize): number {
    if (offset === 0) return this.sum >>> 0;
    if (offset === 12) return this.received;
    if (offset === 16) return this.keys;
    this.host.guestError(`test-backend: read ${offset}`);
    return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  }
  ioWrite(_r: number, offset: number, _size: AccessSize, value: number): void {
    const disk = this.b.disk;
    if (offset === 0 && disk) {
      const buf = new Uint8Array(Math.min(value, 65536));
      disk.read(this.offset, buf).then(
        () => { let s = 0; for (const x of buf) s = (s + x) >>> 0; this.sum = s; this.host.irq(0).pulse(); },
        () => { this.sum = 0xffffffff; this.host.irq(0).pulse(); },
      );
    } else if (offset === 4) this.offset = value >>> 0;
    else if (offset === 8) this.b.serial?.write(Uint8Array.of(value & 0xff));
    else if (offset === 20 && disk) {
      const b = Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
      disk.write(this.offset, b).then(() => this.host.irq(0).pulse(), () => this.host.irq(0).pulse());
    } else this.host.guestError(`test-backend: write ${offset}`);
  }
}

export const testBackendType: DeviceType = {
  name: 'test-backend',
  class: 'storage',
  bus: 'isa',
  description: 'Channel test device: block, serial and input backends',
  secure: undefined,
  secureReason: 'test device',
  hotpluggable: false,
  capabilities: ['block', 'terminal'],
  properties: {},
  resources: () => ({ ports: [{ name: 'tb', base: 0x7200, length: 32 }], mmio: [], irqs: [7] }),
  stateVersion: 0,
  create: (host) => new TestBackend(host),
};
