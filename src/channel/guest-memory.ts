/**
 * Guest physical memory over the shared machine memory, for device workers granted
 * `guest-memory` (DMA). Guest physical address 0 is at `layout.ramOffset`; accesses outside
 * guest RAM read as zero and writes are dropped (GuestMemory contract in src/devices/api.ts).
 * Counts the bytes moved so the machine can report DMA per device. Reads copy out of shared
 * memory: devices validate the copy, never guest memory itself (QEMU secure-coding practice).
 */
import type { GuestMemory } from '../devices/api.js';
import type { MemoryLayout } from '../machine/layout.js';

export class SharedGuestMemory implements GuestMemory {
  readonly size: number;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** Bytes read or written so far. */
  moved = 0;

  constructor(buffer: SharedArrayBuffer, layout: MemoryLayout, private readonly onMove?: (bytes: number) => void) {
    this.size = layout.ramSize;
    this.bytes = new Uint8Array(buffer, layout.ramOffset, layout.ramSize);
    this.view = new DataView(buffer, layout.ramOffset, layout.ramSize);
  }

  private ok(a: number, n: number): boolean {
    return Number.isInteger(a) && a >= 0 && n >= 0 && a + n <= this.size;
  }
  private count(n: number): void {
    this.moved += n;
    this.onMove?.(n);
  }
  read(physAddr: number, into: Uint8Array): boolean {
    if (!this.ok(physAddr, into.length)) { into.fill(0); return false; }
    into.set(this.bytes.subarray(physAddr, physAddr + into.length));
    this.count(into.length);
    return true;
  }
  write(physAddr: number, from: Uint8Array): boolean {
    if (!this.ok(physAddr, from.length)) return false;
    this.bytes.set(from, physAddr);
    this.count(from.length);
    return true;
  }
  readU8(a: number): number { if (!this.ok(a, 1)) return 0; this.count(1); return this.bytes[a]; }
  readU16(a: number): number { if (!this.ok(a, 2)) return 0; this.count(2); return this.view.getUint16(a, true); }
  readU32(a: number): number { if (!this.ok(a, 4)) return 0; this.count(4); return this.view.getUint32(a, true); }
  writeU8(a: number, v: number): void { if (this.ok(a, 1)) { this.bytes[a] = v; this.count(1); } }
  writeU16(a: number, v: number): void { if (this.ok(a, 2)) { this.view.setUint16(a, v, true); this.count(2); } }
  writeU32(a: number, v: number): void { if (this.ok(a, 4)) { this.view.setUint32(a, v >>> 0, true); this.count(4); } }
}
