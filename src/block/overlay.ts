/**
 * A copy-on-write overlay over any block backend (read-only or read-write base).
 *
 * The image is divided into overlay blocks (default 64 KiB). A block the guest has written
 * lives in the OverlayStore (persistent: IndexedDB in the browser); every other block is read
 * from the base. Reads merge the two; writes go to the overlay only — the base's write() is
 * never called. A partial-block write first copies the block from the base (read-modify-write).
 * Requests are serialised, so overlapping reads and writes see a consistent image. The store
 * keeps metadata (block size, base size) so an overlay is never applied to a different image.
 * `exportChunks()` streams the merged image (for "export disk"); `discard()` drops the overlay.
 */
import { BlockError, type BlockBackend } from './api.js';
import type { OverlayStore } from './overlay-store.js';
import { MemoryOverlayStore } from './overlay-store.js';
import { SECTOR_SIZE, checkRange } from './validate.js';

export const DEFAULT_OVERLAY_BLOCK = 64 * 1024;

export interface OverlayOptions {
  /** Where overlay blocks persist; default an in-memory store. */
  store?: OverlayStore;
  /** Overlay block size in bytes: a power of two, at least 512. Ignored if the store has one. */
  blockSize?: number;
  /** How many overlay blocks to keep decoded in memory (LRU). */
  cacheBlocks?: number;
}

export class OverlayBlock implements BlockBackend {
  readonly size: number;
  readonly readOnly = false;
  readonly id: string;
  private readonly present: Set<number>;
  private readonly cache = new Map<number, Uint8Array>();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly base: BlockBackend,
    readonly store: OverlayStore,
    readonly blockSize: number,
    present: number[],
    private readonly cacheBlocks: number,
  ) {
    this.size = base.size;
    this.id = `cow:${base.id}`;
    this.present = new Set(present);
  }

  /** Open (or create) the overlay of `base` in the store. */
  static async open(base: BlockBackend, opts: OverlayOptions = {}): Promise<OverlayBlock> {
    const store = opts.store ?? new MemoryOverlayStore();
    let blockSize = opts.blockSize ?? DEFAULT_OVERLAY_BLOCK;
    if (!Number.isInteger(blockSize) || blockSize < SECTOR_SIZE || (blockSize & (blockSize - 1)) !== 0) {
      throw new BlockError('bad-image', `overlay block size ${blockSize} must be a power of two ≥ 512`);
    }
    const meta = await store.getMeta(base.id);
    if (meta) {
      if (meta.baseSize !== base.size) {
        throw new BlockError(
          'bad-image',
          `the saved changes for ${base.id} were made on a ${meta.baseSize}-byte image, but the image is now ${base.size} bytes; discard them to continue`,
        );
      }
      blockSize = meta.blockSize;
    } else {
      await store.setMeta(base.id, { blockSize, baseSize: base.size, version: 1 });
    }
    const blocks = Math.ceil(base.size / blockSize);
    const keys = (await store.keys(base.id)).filter((k) => Number.isInteger(k) && k >= 0 && k < blocks);
    return new OverlayBlock(base, store, blockSize, keys, opts.cacheBlocks ?? 64);
  }

  /** Number of blocks the guest has changed. */
  get dirtyBlocks(): number {
    return this.present.size;
  }

  read(offset: number, into: Uint8Array): Promise<void> {
    return this.serial(() => this.doRead(offset, into));
  }

  write(offset: number, from: Uint8Array): Promise<void> {
    return this.serial(() => this.doWrite(offset, from));
  }

  /** Overlay writes are complete when write() resolves; nothing is buffered. */
  flush(): Promise<void> {
    return this.serial(async () => {});
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.cache.clear();
  }

  /** Drop every change: the image reads as the base again. */
  discard(): Promise<void> {
    return this.serial(async () => {
      await this.store.clear(this.base.id);
      await this.store.setMeta(this.base.id, { blockSize: this.blockSize, baseSize: this.size, version: 1 });
      this.present.clear();
      this.cache.clear();
    });
  }

  /** The merged image in order, `chunkSize` bytes at a time (the last chunk may be shorter). */
  async *exportChunks(chunkSize = 1 << 20): AsyncGenerator<Uint8Array> {
    if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new RangeError(`bad chunk size ${chunkSize}`);
    for (let off = 0; off < this.size; off += chunkSize) {
      const chunk = new Uint8Array(Math.min(chunkSize, this.size - off));
      await this.read(off, chunk);
      yield chunk;
    }
  }

  // ---- internals ----

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      if (this.closed) throw new BlockError('aborted', `${this.id}: overlay closed`);
      return fn();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private blockLength(block: number): number {
    return Math.min(this.blockSize, this.size - block * this.blockSize);
  }

  private async doRead(offset: number, into: Uint8Array): Promise<void> {
    checkRange(this.size, offset, into.length, this.id);
    let pos = 0;
    while (pos < into.length) {
      const abs = offset + pos;
      const block = Math.floor(abs / this.blockSize);
      const inBlock = abs - block * this.blockSize;
      if (this.present.has(block)) {
        const data = await this.loadBlock(block);
        const n = Math.min(into.length - pos, data.length - inBlock);
        into.set(data.subarray(inBlock, inBlock + n), pos);
        pos += n;
      } else {
        // A run of base-only blocks: one base read.
        let end = (block + 1) * this.blockSize;
        while (end < offset + into.length && !this.present.has(end / this.blockSize)) end += this.blockSize;
        const n = Math.min(offset + into.length, end) - abs;
        await this.base.read(abs, into.subarray(pos, pos + n));
        pos += n;
      }
    }
  }

  private async doWrite(offset: number, from: Uint8Array): Promise<void> {
    checkRange(this.size, offset, from.length, this.id);
    let pos = 0;
    while (pos < from.length) {
      const abs = offset + pos;
      const block = Math.floor(abs / this.blockSize);
      const inBlock = abs - block * this.blockSize;
      const len = this.blockLength(block);
      const n = Math.min(from.length - pos, len - inBlock);
      let data: Uint8Array;
      if (n === len) {
        data = from.slice(pos, pos + n);
      } else if (this.present.has(block)) {
        data = (await this.loadBlock(block)).slice();
        data.set(from.subarray(pos, pos + n), inBlock);
      } else {
        data = new Uint8Array(len);
        await this.base.read(block * this.blockSize, data);
        data.set(from.subarray(pos, pos + n), inBlock);
      }
      await this.store.set(this.base.id, block, data);
      this.present.add(block);
      this.remember(block, data);
      pos += n;
    }
  }

  private async loadBlock(block: number): Promise<Uint8Array> {
    const hit = this.cache.get(block);
    if (hit) {
      this.cache.delete(block);
      this.cache.set(block, hit);
      return hit;
    }
    const data = await this.store.get(this.base.id, block);
    if (!data || data.length !== this.blockLength(block)) {
      throw new BlockError('io', `${this.id}: overlay block ${block} is missing or damaged in the store (${data ? data.length : 'no'} bytes)`);
    }
    this.remember(block, data);
    return data;
  }

  private remember(block: number, data: Uint8Array): void {
    this.cache.delete(block);
    this.cache.set(block, data);
    while (this.cache.size > this.cacheBlocks) {
      const oldest = this.cache.keys().next().value as number;
      this.cache.delete(oldest);
    }
  }
}
