/**
 * An in-memory block backend: the image is a Uint8Array (a built-in image, a test image, or a
 * file read whole). Pure: no I/O. Read-write unless created read-only.
 */
import { BlockError, type BlockBackend } from './api.js';
import { checkImageSize, checkRange, type ImageKind } from './validate.js';

export interface MemoryBlockOptions {
  readOnly?: boolean;
  /** Identity for overlays; default `memory:<name>:<size>`. */
  id?: string;
  name?: string;
  kind?: ImageKind;
}

export class MemoryBlock implements BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  readonly id: string;
  private readonly name: string;
  private closed = false;

  constructor(private readonly data: Uint8Array, opts: MemoryBlockOptions = {}) {
    this.name = opts.name ?? 'memory image';
    checkImageSize(data.length, opts.kind ?? 'disk', this.name);
    this.size = data.length;
    this.readOnly = opts.readOnly ?? false;
    this.id = opts.id ?? `memory:${this.name}:${data.length}`;
  }

  /** A zero-filled image of `size` bytes. */
  static blank(size: number, opts: MemoryBlockOptions = {}): MemoryBlock {
    checkImageSize(size, opts.kind ?? 'disk', opts.name ?? 'blank image');
    return new MemoryBlock(new Uint8Array(size), opts);
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    this.check();
    checkRange(this.size, offset, into.length, this.name);
    into.set(this.data.subarray(offset, offset + into.length));
  }

  async write(offset: number, from: Uint8Array): Promise<void> {
    this.check();
    if (this.readOnly) throw new BlockError('read-only', `${this.name}: the image is read-only`);
    checkRange(this.size, offset, from.length, this.name);
    this.data.set(from, offset);
  }

  async flush(): Promise<void> {
    this.check();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new BlockError('aborted', `${this.name}: backend closed`);
  }
}
