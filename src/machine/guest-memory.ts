/**
 * GuestMemory (src/devices/api.ts) over the guest RAM inside the shared memory: what a device
 * with the `guest-memory` capability uses for DMA. Little-endian, bounds-checked against RAM;
 * accesses outside RAM read as zero and are dropped (they would hit MMIO or open bus, which
 * bus-master DMA on this machine does not reach). Reads copy out, so a device validates a
 * snapshot the guest cannot change under it.
 */
import type { GuestMemory } from '../devices/api.js';

export class RamGuestMemory implements GuestMemory {
  readonly size: number;
  private readonly view: DataView;

  /** `ram` is guest RAM, physical 0 .. ram.length-1. */
  constructor(private readonly ram: Uint8Array) {
    this.size = ram.length;
    this.view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  }

  private inside(addr: number, n: number): boolean {
    return Number.isInteger(addr) && addr >= 0 && n >= 0 && addr + n <= this.size;
  }

  read(physAddr: number, into: Uint8Array): boolean {
    if (!this.inside(physAddr, into.length)) {
      into.fill(0);
      return false;
    }
    into.set(this.ram.subarray(physAddr, physAddr + into.length));
    return true;
  }

  write(physAddr: number, from: Uint8Array): boolean {
    if (!this.inside(physAddr, from.length)) return false;
    this.ram.set(from, physAddr);
    return true;
  }

  readU8(a: number): number {
    return this.inside(a, 1) ? this.ram[a] : 0;
  }
  readU16(a: number): number {
    return this.inside(a, 2) ? this.view.getUint16(a, true) : 0;
  }
  readU32(a: number): number {
    return this.inside(a, 4) ? this.view.getUint32(a, true) : 0;
  }
  writeU8(a: number, v: number): void {
    if (this.inside(a, 1)) this.ram[a] = v;
  }
  writeU16(a: number, v: number): void {
    if (this.inside(a, 2)) this.view.setUint16(a, v, true);
  }
  writeU32(a: number, v: number): void {
    if (this.inside(a, 4)) this.view.setUint32(a, v >>> 0, true);
  }
}
