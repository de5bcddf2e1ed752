/**
 * Persistent storage for copy-on-write overlays: whole overlay blocks keyed by (image id,
 * block number), plus a small metadata record per image. Implementations: MemoryOverlayStore
 * here (tests, ephemeral sessions) and the IndexedDB store in src/workers/block-idb-store.ts
 * (browser storage worker, via idb-keyval).
 */

/** Metadata stored with an overlay so it is never applied to a different image or layout. */
export interface OverlayMeta {
  blockSize: number;
  baseSize: number;
  /** Version of the overlay layout. */
  version: 1;
}

export interface OverlayStore {
  /** The stored block, or undefined when the block was never written. */
  get(imageId: string, block: number): Promise<Uint8Array | undefined>;
  set(imageId: string, block: number, data: Uint8Array): Promise<void>;
  delete(imageId: string, block: number): Promise<void>;
  /** Block numbers stored for the image (any order). */
  keys(imageId: string): Promise<number[]>;
  getMeta(imageId: string): Promise<OverlayMeta | undefined>;
  setMeta(imageId: string, meta: OverlayMeta): Promise<void>;
  /** Drop every block and the metadata of the image. */
  clear(imageId: string): Promise<void>;
}

/** An OverlayStore in memory (lost on reload). Copies data in and out. */
export class MemoryOverlayStore implements OverlayStore {
  private readonly images = new Map<string, Map<number, Uint8Array>>();
  private readonly metas = new Map<string, OverlayMeta>();
  /** Counters for tests and diagnostics. */
  gets = 0;
  sets = 0;

  private blocks(imageId: string): Map<number, Uint8Array> {
    let m = this.images.get(imageId);
    if (!m) {
      m = new Map();
      this.images.set(imageId, m);
    }
    return m;
  }

  async get(imageId: string, block: number): Promise<Uint8Array | undefined> {
    this.gets++;
    const d = this.images.get(imageId)?.get(block);
    return d ? d.slice() : undefined;
  }
  async set(imageId: string, block: number, data: Uint8Array): Promise<void> {
    this.sets++;
    this.blocks(imageId).set(block, data.slice());
  }
  async delete(imageId: string, block: number): Promise<void> {
    this.images.get(imageId)?.delete(block);
  }
  async keys(imageId: string): Promise<number[]> {
    return [...(this.images.get(imageId)?.keys() ?? [])];
  }
  async getMeta(imageId: string): Promise<OverlayMeta | undefined> {
    const m = this.metas.get(imageId);
    return m ? { ...m } : undefined;
  }
  async setMeta(imageId: string, meta: OverlayMeta): Promise<void> {
    this.metas.set(imageId, { ...meta });
  }
  async clear(imageId: string): Promise<void> {
    this.images.delete(imageId);
    this.metas.delete(imageId);
  }
}
