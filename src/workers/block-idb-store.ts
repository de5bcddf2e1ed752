/**
 * The IndexedDB OverlayStore (browser; the storage worker keeps IndexedDB), via idb-keyval.
 *
 * One object store holds every overlay: block data under the array key [imageId, blockNumber]
 * (numbers), the overlay metadata under [imageId, 'meta']. IndexedDB orders array keys element
 * by element and numbers before strings, so the blocks of one image are the key range
 * [imageId, -Infinity] .. [imageId, Infinity], and everything of one image is
 * [imageId] .. [imageId, []] (arrays sort after every other key type).
 */
import { createStore, del, get, promisifyRequest, set, type UseStore } from 'idb-keyval';
import type { OverlayMeta, OverlayStore } from '../block/overlay-store.js';

export const OVERLAY_DB = 'bulkhead-overlays';
export const OVERLAY_OBJECT_STORE = 'blocks';

export class IdbOverlayStore implements OverlayStore {
  private readonly store: UseStore;

  constructor(dbName = OVERLAY_DB, storeName = OVERLAY_OBJECT_STORE) {
    this.store = createStore(dbName, storeName);
  }

  async get(imageId: string, block: number): Promise<Uint8Array | undefined> {
    const v = await get<Uint8Array | ArrayBuffer>([imageId, block], this.store);
    if (v === undefined) return undefined;
    return v instanceof Uint8Array ? v : new Uint8Array(v);
  }

  set(imageId: string, block: number, data: Uint8Array): Promise<void> {
    return set([imageId, block], data.slice(), this.store);
  }

  delete(imageId: string, block: number): Promise<void> {
    return del([imageId, block], this.store);
  }

  keys(imageId: string): Promise<number[]> {
    return this.store('readonly', async (s) => {
      const ks = await promisifyRequest(s.getAllKeys(IDBKeyRange.bound([imageId, -Infinity], [imageId, Infinity])));
      return ks.map((k) => (k as [string, number])[1]);
    });
  }

  getMeta(imageId: string): Promise<OverlayMeta | undefined> {
    return get<OverlayMeta>([imageId, 'meta'], this.store);
  }

  setMeta(imageId: string, meta: OverlayMeta): Promise<void> {
    return set([imageId, 'meta'], { ...meta }, this.store);
  }

  clear(imageId: string): Promise<void> {
    return this.store('readwrite', (s) => {
      s.delete(IDBKeyRange.bound([imageId], [imageId, []]));
      return promisifyRequest(s.transaction);
    });
  }

  /** Image ids that have an overlay (for a "saved changes" list in the UI). */
  imageIds(): Promise<string[]> {
    return this.store('readonly', async (s) => {
      const ks = await promisifyRequest(s.getAllKeys());
      const ids = new Set<string>();
      for (const k of ks) if (Array.isArray(k) && typeof k[0] === 'string') ids.add(k[0]);
      return [...ids];
    });
  }
}
