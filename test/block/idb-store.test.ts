/**
 * The IndexedDB overlay store, run in Node against fake-indexeddb (an in-memory implementation
 * of the IndexedDB API): key layout, per-image key ranges, metadata, clear, and an overlay
 * persisted through it and reopened.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { MemoryBlock } from '../../src/block/memory.js';
import { OverlayBlock } from '../../src/block/overlay.js';
import type { OverlayStore } from '../../src/block/overlay-store.js';
import { expectBytes } from './bytes.js';

// The store is browser code (tsconfig.workers.json); load it untyped here.
const storeModule = '../../src/workers/block-idb-store.js';
async function makeStore(db: string): Promise<OverlayStore & { imageIds(): Promise<string[]> }> {
  const mod = (await import(/* @vite-ignore */ storeModule)) as { IdbOverlayStore: new (db: string) => OverlayStore & { imageIds(): Promise<string[]> } };
  return new mod.IdbOverlayStore(db);
}

describe('IdbOverlayStore', () => {
  it('keeps blocks and metadata per image, lists and clears by image', async () => {
    const s = await makeStore('t1');
    await s.set('img-a', 3, Uint8Array.of(1, 2, 3));
    await s.set('img-a', 10, Uint8Array.of(4));
    await s.set('img-b', 3, Uint8Array.of(9));
    await s.setMeta('img-a', { blockSize: 4096, baseSize: 8192, version: 1 });
    expect(await s.get('img-a', 3)).toEqual(Uint8Array.of(1, 2, 3));
    expect(await s.get('img-a', 4)).toBeUndefined();
    expect((await s.keys('img-a')).sort((a, b) => a - b)).toEqual([3, 10]);
    expect(await s.keys('img-b')).toEqual([3]);
    expect(await s.keys('img')).toEqual([]); // a prefix is another image
    expect(await s.getMeta('img-a')).toEqual({ blockSize: 4096, baseSize: 8192, version: 1 });
    expect((await s.imageIds()).sort()).toEqual(['img-a', 'img-b']);
    await s.delete('img-a', 10);
    expect(await s.keys('img-a')).toEqual([3]);
    await s.clear('img-a');
    expect(await s.keys('img-a')).toEqual([]);
    expect(await s.getMeta('img-a')).toBeUndefined();
    expect(await s.get('img-b', 3)).toEqual(Uint8Array.of(9));
  });

  it('persists an overlay across reopen', async () => {
    const base = Uint8Array.from({ length: 32768 }, (_, i) => i & 0xff);
    const s1 = await makeStore('t2');
    const ov = await OverlayBlock.open(new MemoryBlock(base.slice(), { readOnly: true, id: 'disk' }), { store: s1, blockSize: 4096 });
    await ov.write(5000, new Uint8Array(100).fill(0xee));
    await ov.close();
    const s2 = await makeStore('t2');
    const again = await OverlayBlock.open(new MemoryBlock(base.slice(), { readOnly: true, id: 'disk' }), { store: s2 });
    expect(again.dirtyBlocks).toBe(1);
    const buf = new Uint8Array(200);
    await again.read(4950, buf);
    expectBytes(buf.subarray(0, 50), base.subarray(4950, 5000));
    expect(buf.subarray(50, 150).every((x) => x === 0xee)).toBe(true);
    expectBytes(buf.subarray(150), base.subarray(5100, 5150));
  });
});
