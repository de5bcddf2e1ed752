/**
 * Block backends: where a disk image's bytes come from and where guest writes go. One
 * interface for in-memory images, files (Node), Blobs/Files (browser), URLs read lazily with
 * HTTP range requests, and the copy-on-write overlay that keeps the guest's writes.
 * Asynchronous: a storage device starts a request, keeps BSY set, and completes it later
 * (as real controllers do), so a slow backend never blocks the CPU.
 */

export type BlockErrorCode =
  | 'out-of-range' // request past the end of the image
  | 'io' // the backend failed (range request failed, file read error)
  | 'read-only' // a write to a read-only backend without an overlay
  | 'bad-image' // the image itself is unusable (truncated, size not a multiple of the sector)
  | 'aborted'
  | 'not-found' // the image does not exist (HTTP 404/410, missing file)
  | 'network' // network failure or CORS refusal (fetch rejected)
  | 'unsupported'; // the source cannot serve the image as needed (no range support, size unknown)

export class BlockError extends Error {
  constructor(readonly code: BlockErrorCode, message: string) {
    super(message);
    this.name = 'BlockError';
  }
}

export interface BlockBackend {
  /** Image size in bytes. */
  readonly size: number;
  readonly readOnly: boolean;
  /** Identity of the image (name + size + a content or URL fingerprint), used to key overlays. */
  readonly id: string;
  /** Fill `into` from byte `offset`. Rejects with BlockError. */
  read(offset: number, into: Uint8Array): Promise<void>;
  /** Write `from` at byte `offset`. Rejects with BlockError. */
  write(offset: number, from: Uint8Array): Promise<void>;
  flush(): Promise<void>;
  close?(): Promise<void>;
}

/** Progress of a lazily fetched backend (URL), for the UI. */
export interface BlockProgress {
  bytesFetched: number;
  requests: number;
}
