/**
 * A block backend over a file on disk, for Node (the CLI runner and machine tests). Uses
 * fs/promises file handles and positional reads/writes, so large images are never loaded
 * whole. Read-only by default: give `readOnly: false` to let guest writes reach the file, or
 * (the usual way) stack an OverlayBlock on the read-only file to keep the image pristine.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { BlockError, type BlockBackend } from '../block/api.js';
import { checkImageSize, checkRange, type ImageKind } from '../block/validate.js';

export interface FileBlockOptions {
  readOnly?: boolean;
  kind?: ImageKind;
  /** Identity for overlays; default `file:<basename>:<size>:<mtime>`. */
  id?: string;
}

export class FileBlock implements BlockBackend {
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly size: number,
    readonly readOnly: boolean,
    readonly id: string,
  ) {}

  static async open(path: string, opts: FileBlockOptions = {}): Promise<FileBlock> {
    const readOnly = opts.readOnly ?? true;
    let handle: FileHandle;
    try {
      handle = await open(path, readOnly ? 'r' : 'r+');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw new BlockError('not-found', `${path}: no such file`);
      throw new BlockError('io', `${path}: cannot open (${err.message})`);
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new BlockError('bad-image', `${path}: not a regular file`);
      checkImageSize(st.size, opts.kind ?? 'disk', path);
      const id = opts.id ?? `file:${basename(path)}:${st.size}:${Math.floor(st.mtimeMs)}`;
      return new FileBlock(handle, path, st.size, readOnly, id);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    this.check();
    checkRange(this.size, offset, into.length, this.path);
    let done = 0;
    while (done < into.length) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.handle.read(into, done, into.length - done, offset + done));
      } catch (e) {
        throw new BlockError('io', `${this.path}: read failed (${(e as Error).message})`);
      }
      if (n === 0) {
        throw new BlockError('bad-image', `${this.path}: the file ended at ${offset + done} bytes, expected ${this.size} (truncated while open?)`);
      }
      done += n;
    }
  }

  async write(offset: number, from: Uint8Array): Promise<void> {
    this.check();
    if (this.readOnly) throw new BlockError('read-only', `${this.path}: opened read-only`);
    checkRange(this.size, offset, from.length, this.path);
    let done = 0;
    while (done < from.length) {
      try {
        const { bytesWritten } = await this.handle.write(from, done, from.length - done, offset + done);
        done += bytesWritten;
      } catch (e) {
        throw new BlockError('io', `${this.path}: write failed (${(e as Error).message})`);
      }
    }
  }

  async flush(): Promise<void> {
    this.check();
    if (!this.readOnly) await this.handle.sync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  private check(): void {
    if (this.closed) throw new BlockError('aborted', `${this.path}: file closed`);
  }
}
