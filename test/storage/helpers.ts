/**
 * Test helpers for the storage devices: small in-memory block backends (a plain one, a sparse
 * one for huge LBA48 disks, failure injection), a fake ISA DMA channel, and a drain for the
 * asynchronous backend completions.
 */
import { BlockError, type BlockBackend } from '../../src/block/api.js';
import type { IsaDma } from '../../src/devices/api.js';

/** Let pending promise chains (backend requests, DMA engines) settle. */
export async function drain(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A RAM image; `failReads`/`failWrites` make requests reject with a BlockError. */
export class MemBackend implements BlockBackend {
  readonly bytes: Uint8Array;
  failReads: BlockError | null = null;
  failWrites: BlockError | null = null;
  reads = 0;
  writes = 0;
  flushes = 0;
  constructor(size: number, readonly readOnly = false, readonly id = 'mem') {
    this.bytes = new Uint8Array(size);
  }
  get size(): number {
    return this.bytes.length;
  }
  async read(offset: number, into: Uint8Array): Promise<void> {
    this.reads++;
    if (this.failReads) throw this.failReads;
    if (offset < 0 || offset + into.length > this.size) throw new BlockError('out-of-range', `read ${offset}+${into.length}`);
    into.set(this.bytes.subarray(offset, offset + into.length));
  }
  async write(offset: number, from: Uint8Array): Promise<void> {
    this.writes++;
    if (this.readOnly) throw new BlockError('read-only', 'read-only');
    if (this.failWrites) throw this.failWrites;
    if (offset < 0 || offset + from.length > this.size) throw new BlockError('out-of-range', `write ${offset}+${from.length}`);
    this.bytes.set(from, offset);
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
}

/** Fill with a pattern where every 512-byte sector starts with its number. */
export function patterned(size: number, sector = 512): MemBackend {
  const b = new MemBackend(size);
  for (let i = 0; i < size; i++) b.bytes[i] = (i * 7 + (i >> 9)) & 0xff;
  for (let s = 0; s * sector < size; s++) new DataView(b.bytes.buffer).setUint32(s * sector, s, true);
  return b;
}

/** A huge virtual disk: bytes are a function of the offset unless written. */
export class SparseBackend implements BlockBackend {
  readonly readOnly = false;
  readonly id = 'sparse';
  private written = new Map<number, number>();
  constructor(readonly size: number) {}
  static byteAt(offset: number): number {
    return (Math.floor(offset / 512) * 13 + (offset % 512)) & 0xff;
  }
  async read(offset: number, into: Uint8Array): Promise<void> {
    if (offset + into.length > this.size) throw new BlockError('out-of-range', 'past end');
    for (let i = 0; i < into.length; i++) into[i] = this.written.get(offset + i) ?? SparseBackend.byteAt(offset + i);
  }
  async write(offset: number, from: Uint8Array): Promise<void> {
    from.forEach((v, i) => this.written.set(offset + i, v));
  }
  async flush(): Promise<void> {}
}

/** A fake 8237 channel: a flat memory region with an address and count, TC at the end. */
export class FakeIsaDma implements IsaDma {
  mem = new Uint8Array(64 * 1024);
  addr = 0;
  /** Bytes left before terminal count. */
  count = 0;
  masked = false;
  calls = 0;
  program(addr: number, count: number): void {
    this.addr = addr;
    this.count = count;
  }
  async transfer(channel: number, data: Uint8Array, toMemory: boolean): Promise<{ moved: number; tc: boolean }> {
    this.calls++;
    if (channel !== 2 || this.masked) return { moved: 0, tc: false };
    const n = Math.min(data.length, this.count);
    if (toMemory) this.mem.set(data.subarray(0, n), this.addr);
    else data.set(this.mem.subarray(this.addr, this.addr + n));
    this.addr += n;
    this.count -= n;
    return { moved: n, tc: this.count === 0 };
  }
}
