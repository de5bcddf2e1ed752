/** Copy-on-write overlay: merge, persistence through the store, discard, export, base safety. */
import { describe, expect, it } from 'vitest';
import { BlockError, type BlockBackend } from '../../src/block/api.js';
import { MemoryBlock } from '../../src/block/memory.js';
import { MemoryOverlayStore } from '../../src/block/overlay-store.js';
import { OverlayBlock } from '../../src/block/overlay.js';
import { expectBytes } from './bytes.js';

function pattern(n: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + (i >> 8)) & 0xff);
}

/** A base that records writes (there must be none) and counts reads. */
class WatchedBase implements BlockBackend {
  readonly inner: MemoryBlock;
  writes = 0;
  reads = 0;
  constructor(readonly bytes: Uint8Array, readonly readOnly = true) {
    this.inner = new MemoryBlock(bytes, { id: 'base-image' });
  }
  get size(): number { return this.inner.size; }
  get id(): string { return this.inner.id; }
  read(o: number, into: Uint8Array): Promise<void> { this.reads++; return this.inner.read(o, into); }
  async write(): Promise<void> { this.writes++; throw new BlockError('read-only', 'base written!'); }
  flush(): Promise<void> { return Promise.resolve(); }
}

describe('OverlayBlock', () => {
  it('merges overlay blocks over the base and never writes the base', async () => {
    const orig = pattern(64 * 1024);
    const base = new WatchedBase(orig.slice());
    const ov = await OverlayBlock.open(base, { blockSize: 4096 });
    expect(ov.readOnly).toBe(false);
    const model = orig.slice();
    const writes: [number, number][] = [[100, 50], [4000, 200], [8192, 4096], [20000, 9000], [65536 - 10, 10]];
    for (const [off, len] of writes) {
      const d = pattern(len, off);
      await ov.write(off, d);
      model.set(d, off);
    }
    const all = new Uint8Array(orig.length);
    await ov.read(0, all);
    expectBytes(all, model);
    // Odd-sized reads across block boundaries.
    for (const [off, len] of [[4090, 20], [0, 1], [8191, 4098], [30000, 12345]]) {
      const buf = new Uint8Array(len);
      await ov.read(off, buf);
      expectBytes(buf, model.subarray(off, off + len));
    }
    expect(base.writes).toBe(0);
    expectBytes(base.bytes, orig);
    expect(ov.dirtyBlocks).toBe(1 + 2 + 1 + 3 + 1);
  });

  it('persists through the store and reopens with the changes', async () => {
    const orig = pattern(32 * 1024);
    const store = new MemoryOverlayStore();
    const a = await OverlayBlock.open(new WatchedBase(orig.slice()), { store, blockSize: 8192 });
    await a.write(9000, new Uint8Array(3000).fill(0xab));
    await a.close();
    const b = await OverlayBlock.open(new WatchedBase(orig.slice()), { store, blockSize: 512 });
    expect(b.blockSize).toBe(8192); // the stored layout wins
    const buf = new Uint8Array(4000);
    await b.read(8500, buf);
    expectBytes(buf.subarray(0, 500), orig.subarray(8500, 9000));
    expect(buf.subarray(500, 3500).every((x) => x === 0xab)).toBe(true);
    expectBytes(buf.subarray(3500), orig.subarray(12000, 12500));
    await expect(a.read(0, new Uint8Array(512))).rejects.toMatchObject({ code: 'aborted' });
  });

  it('refuses an overlay made for an image of another size', async () => {
    const store = new MemoryOverlayStore();
    const ov = await OverlayBlock.open(new WatchedBase(pattern(8192)), { store });
    await ov.write(0, new Uint8Array(512));
    await expect(OverlayBlock.open(new WatchedBase(pattern(16384)), { store })).rejects.toMatchObject({ code: 'bad-image' });
  });

  it('discard drops every change', async () => {
    const orig = pattern(16384);
    const store = new MemoryOverlayStore();
    const ov = await OverlayBlock.open(new WatchedBase(orig.slice()), { store, blockSize: 4096 });
    await ov.write(0, new Uint8Array(16384).fill(1));
    await ov.discard();
    expect(ov.dirtyBlocks).toBe(0);
    expect(await store.keys('base-image')).toEqual([]);
    const buf = new Uint8Array(16384);
    await ov.read(0, buf);
    expectBytes(buf, orig);
    const again = await OverlayBlock.open(new WatchedBase(orig.slice()), { store });
    expect(again.dirtyBlocks).toBe(0);
  });

  it('exports the merged image in chunks', async () => {
    const orig = pattern(3 * 4096 + 1024); // last overlay block partial
    const ov = await OverlayBlock.open(new WatchedBase(orig.slice()), { blockSize: 4096 });
    const model = orig.slice();
    await ov.write(12288, new Uint8Array(1024).fill(9)); // the partial last block
    model.fill(9, 12288);
    await ov.write(1000, new Uint8Array(10).fill(7));
    model.fill(7, 1000, 1010);
    const chunks: Uint8Array[] = [];
    for await (const c of ov.exportChunks(5000)) chunks.push(c);
    expect(chunks.map((c) => c.length)).toEqual([5000, 5000, 3312]);
    const joined = new Uint8Array(orig.length);
    let o = 0;
    for (const c of chunks) { joined.set(c, o); o += c.length; }
    expectBytes(joined, model);
  });

  it('keeps overlapping concurrent requests consistent and rejects out-of-range ones', async () => {
    const orig = pattern(65536);
    const ov = await OverlayBlock.open(new WatchedBase(orig.slice()), { blockSize: 4096, cacheBlocks: 2 });
    const model = orig.slice();
    const ops: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const off = (i * 1237) % 60000;
      const d = new Uint8Array(1500).fill(i + 1);
      model.set(d, off);
      ops.push(ov.write(off, d));
    }
    await Promise.all(ops);
    const all = new Uint8Array(65536);
    await ov.read(0, all);
    expectBytes(all, model);
    await expect(ov.read(65000, new Uint8Array(1024))).rejects.toMatchObject({ code: 'out-of-range' });
    await expect(ov.write(-512, new Uint8Array(512))).rejects.toMatchObject({ code: 'out-of-range' });
    // The queue survives a failed request.
    await ov.write(0, new Uint8Array(512).fill(0x42));
  });

  it('works on a read-write base without touching it', async () => {
    const bytes = pattern(8192);
    const copy = bytes.slice();
    const base = new MemoryBlock(bytes, { id: 'rw' });
    const ov = await OverlayBlock.open(base);
    await ov.write(512, new Uint8Array(512).fill(3));
    expectBytes(bytes, copy);
  });
});
