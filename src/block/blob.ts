/**
 * A read-only block backend over a Blob or File (a file the user picked or dropped). Typed
 * structurally so it compiles without DOM types: anything with `size` and
 * `slice(a, b).arrayBuffer()` works. Each read slices the blob and reads only that part, so a
 * multi-gigabyte file is never loaded whole. Guest writes need an OverlayBlock on top.
 */
import { BlockError, type BlockBackend } from './api.js';
import { checkImageSize, checkRange, type ImageKind } from './validate.js';

/** The part of Blob / File this backend uses. */
export interface BlobLike {
  readonly size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
  readonly name?: string;
  readonly lastModified?: number;
}

export interface BlobBlockOptions {
  kind?: ImageKind;
  /** Identity for overlays; default `file:<name>:<size>:<lastModified>`. */
  id?: string;
  name?: string;
}

export class BlobBlock implements BlockBackend {
  readonly readOnly = true;
  readonly size: number;
  readonly id: string;
  private readonly name: string;

  constructor(private readonly blob: BlobLike, opts: BlobBlockOptions = {}) {
    this.name = opts.name ?? blob.name ?? 'file';
    checkImageSize(blob.size, opts.kind ?? 'disk', this.name);
    this.size = blob.size;
    this.id = opts.id ?? `file:${this.name}:${blob.size}:${blob.lastModified ?? 0}`;
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    checkRange(this.size, offset, into.length, this.name);
    if (into.length === 0) return;
    let buf: ArrayBuffer;
    try {
      buf = await this.blob.slice(offset, offset + into.length).arrayBuffer();
    } catch (e) {
      throw new BlockError('io', `${this.name}: reading the file failed (${e instanceof Error ? e.message : String(e)}); was it changed or removed?`);
    }
    if (buf.byteLength !== into.length) {
      throw new BlockError('bad-image', `${this.name}: short read: ${buf.byteLength} of ${into.length} bytes (file truncated?)`);
    }
    into.set(new Uint8Array(buf));
  }

  async write(_offset?: number, _from?: Uint8Array): Promise<void> {
    throw new BlockError('read-only', `${this.name}: local files are opened read-only (use a copy-on-write overlay)`);
  }

  async flush(): Promise<void> {}
}
