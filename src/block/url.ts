/**
 * A read-only block backend for an image on a web server, fetched lazily with HTTP range
 * requests (RFC 9110 §14: `Range: bytes=a-b` → 206 Partial Content with `Content-Range`).
 *
 * The image is read in fetch blocks (default 256 KiB) kept in an LRU cache; a read fetches the
 * missing blocks, consecutive ones in one request, and shares in-flight fetches. The fetch
 * function is injected (the browser's fetch in the storage worker, Node's fetch in tests), so
 * this file stays pure. Errors are explicit BlockErrors:
 *   - 'not-found'   HTTP 404/410, or a web page (text/html) where the image should be;
 *   - 'network'     fetch rejected: network failure or a cross-origin request refused (CORS);
 *   - 'unsupported' the server ignores Range (200 + whole body) and the image is larger than
 *                   `maxWholeBody` (smaller ones are accepted and kept in memory), or the size
 *                   cannot be learned (Content-Range not exposed to CORS and no Content-Length);
 *   - 'bad-image'   the size is not a whole number of sectors;
 *   - 'io'          any other HTTP status, or a short / mismatched partial response.
 * Guest writes need an OverlayBlock on top (this backend is always read-only).
 */
import { BlockError, type BlockBackend, type BlockProgress } from './api.js';
import { checkImageSize, checkRange, formatBytes, type ImageKind } from './validate.js';

/** The part of a fetch Response this backend uses. */
export interface FetchResponseLike {
  status: number;
  statusText?: string;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
  body?: { cancel(reason?: unknown): Promise<void> } | null;
}

export type FetchLike = (url: string, init?: { method?: string; headers?: Record<string, string> }) => Promise<FetchResponseLike>;

export interface UrlBlockOptions {
  fetch: FetchLike;
  kind?: ImageKind;
  /** Fetch granularity in bytes (power of two ≥ 512). Default 256 KiB. */
  blockSize?: number;
  /** Bytes of fetched data kept in the cache. Default 64 MiB. */
  cacheBytes?: number;
  /** Largest single range request. Default 4 MiB. */
  maxRequestBytes?: number;
  /** Largest image accepted from a server without range support (read whole). Default 32 MiB. */
  maxWholeBody?: number;
  /** The size, when known already (skips reading it from the first response). */
  size?: number;
  /** Called after every completed request. */
  onProgress?: (p: BlockProgress) => void;
}

const MIB = 1 << 20;

export class UrlBlock implements BlockBackend {
  readonly readOnly = true;
  private readonly cache = new Map<number, Uint8Array>();
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  private readonly maxCached: number;
  private readonly maxRequestBlocks: number;
  private readonly progress: BlockProgress = { bytesFetched: 0, requests: 0 };
  private closed = false;

  private constructor(
    readonly url: string,
    readonly size: number,
    readonly id: string,
    readonly blockSize: number,
    private readonly opts: UrlBlockOptions,
    /** The whole image, when the server does not support ranges and the image is small. */
    private readonly whole: Uint8Array | undefined,
  ) {
    this.maxCached = Math.max(4, Math.floor((opts.cacheBytes ?? 64 * MIB) / blockSize));
    this.maxRequestBlocks = Math.max(1, Math.floor((opts.maxRequestBytes ?? 4 * MIB) / blockSize));
  }

  /** Probe the server (first block) and open the image. */
  static async open(url: string, opts: UrlBlockOptions): Promise<UrlBlock> {
    const blockSize = opts.blockSize ?? 256 * 1024;
    if (!Number.isInteger(blockSize) || blockSize < 512 || (blockSize & (blockSize - 1)) !== 0) {
      throw new RangeError(`UrlBlock: block size ${blockSize} must be a power of two ≥ 512`);
    }
    const kind = opts.kind ?? 'disk';
    const probeEnd = opts.size !== undefined ? Math.min(blockSize, opts.size) - 1 : blockSize - 1;
    const res = await doFetch(opts.fetch, url, { headers: { Range: `bytes=0-${Math.max(0, probeEnd)}` } });
    const progress = { bytesFetched: 0, requests: 1 };
    if ((res.status === 200 || res.status === 206) && /^\s*text\/html\b/i.test(res.headers.get('Content-Type') ?? '')) {
      // Many servers (SPA fallbacks, login walls) answer a missing file with a web page.
      await res.body?.cancel().catch(() => undefined);
      throw new BlockError('not-found', `${url}: image not found: the server sent a web page (text/html, HTTP ${res.status}), not a disk image; check the URL`);
    }

    if (res.status === 200) {
      // The server ignored Range and sends the whole image.
      const len = parseLength(res.headers.get('Content-Length'));
      const limit = opts.maxWholeBody ?? 32 * MIB;
      if (len === undefined || len > limit) {
        await res.body?.cancel().catch(() => undefined);
        throw new BlockError(
          'unsupported',
          `${url}: the server does not support HTTP range requests (it answered 200 with the whole image` +
            `${len !== undefined ? ` of ${formatBytes(len)}` : ' of unknown size'}); only images up to ${formatBytes(limit)} can be ` +
            'read that way. Serve the image from a server with range support, or download it and open it as a local file.',
        );
      }
      const body = new Uint8Array(await res.arrayBuffer());
      if (body.length !== len) {
        throw new BlockError('io', `${url}: truncated download: ${body.length} of ${len} bytes`);
      }
      if (opts.size !== undefined && opts.size !== len) {
        throw new BlockError('bad-image', `${url}: expected ${opts.size} bytes, the server sent ${len}`);
      }
      checkImageSize(len, kind, url);
      progress.bytesFetched = len;
      opts.onProgress?.({ ...progress });
      const b = new UrlBlock(url, len, makeId(url, len, res), blockSize, opts, body);
      b.progress.bytesFetched = len;
      b.progress.requests = 1;
      return b;
    }
    if (res.status === 416) throw new BlockError('bad-image', `${url}: the image is empty (HTTP 416 for its first byte)`);
    if (res.status !== 206) throw await statusError(url, res);

    let size = opts.size;
    const cr = parseContentRange(res.headers.get('Content-Range'));
    if (size !== undefined && cr?.total !== undefined && cr.total !== size) {
      await res.body?.cancel().catch(() => undefined);
      throw new BlockError('bad-image', `${url}: expected ${size} bytes, the server reports ${cr.total}`);
    }
    if (size === undefined) size = cr?.total;
    if (size === undefined) {
      // Content-Range is not CORS-safelisted: try HEAD's Content-Length.
      const head = await doFetch(opts.fetch, url, { method: 'HEAD' }).catch(() => undefined);
      progress.requests++;
      if (head && head.status >= 200 && head.status < 300) size = parseLength(head.headers.get('Content-Length'));
    }
    if (size === undefined) {
      await res.body?.cancel().catch(() => undefined);
      throw new BlockError(
        'unsupported',
        `${url}: the image size is unknown: the server's Content-Range header is not visible (a cross-origin server must send ` +
          "'Access-Control-Expose-Headers: Content-Range') and HEAD gave no Content-Length. Give the size explicitly.",
      );
    }
    checkImageSize(size, kind, url);
    const first = new Uint8Array(await res.arrayBuffer());
    const b = new UrlBlock(url, size, makeId(url, size, res), blockSize, opts, undefined);
    const expect = Math.min(blockSize, size);
    if (first.length === expect && (!cr || cr.start === 0)) b.store(0, first);
    b.progress.requests = progress.requests;
    b.progress.bytesFetched = first.length;
    opts.onProgress?.({ ...b.progress });
    return b;
  }

  /** Bytes fetched and requests made so far. */
  get stats(): BlockProgress {
    return { ...this.progress };
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    if (this.closed) throw new BlockError('aborted', `${this.url}: backend closed`);
    checkRange(this.size, offset, into.length, this.url);
    if (into.length === 0) return;
    if (this.whole) {
      into.set(this.whole.subarray(offset, offset + into.length));
      return;
    }
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + into.length - 1) / this.blockSize);
    // Start fetches for missing blocks, coalescing consecutive ones.
    let runStart = -1;
    for (let blk = first; blk <= last + 1; blk++) {
      const missing = blk <= last && !this.cache.has(blk) && !this.inflight.has(blk);
      if (missing && runStart < 0) runStart = blk;
      if (runStart >= 0 && (!missing || blk - runStart >= this.maxRequestBlocks)) {
        this.fetchRun(runStart, blk - 1);
        runStart = missing ? blk : -1;
      }
    }
    for (let blk = first; blk <= last; blk++) {
      const data = this.cache.get(blk) ?? (await this.inflight.get(blk)) ?? (await this.fetchRun(blk, blk));
      const blockStart = blk * this.blockSize;
      const from = Math.max(offset, blockStart);
      const to = Math.min(offset + into.length, blockStart + data.length);
      into.set(data.subarray(from - blockStart, to - blockStart), from - offset);
    }
  }

  async write(_offset?: number, _from?: Uint8Array): Promise<void> {
    throw new BlockError('read-only', `${this.url}: images read from a URL are read-only (use a copy-on-write overlay)`);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    this.cache.clear();
  }

  // ---- internals ----

  /** Fetch blocks first..last in one range request; registers in-flight promises per block. */
  private fetchRun(first: number, last: number): Promise<Uint8Array> {
    const start = first * this.blockSize;
    const end = Math.min(this.size, (last + 1) * this.blockSize);
    const all = (async () => {
      const res = await doFetch(this.opts.fetch, this.url, { headers: { Range: `bytes=${start}-${end - 1}` } });
      this.progress.requests++;
      if (res.status === 200) {
        await res.body?.cancel().catch(() => undefined);
        throw new BlockError('unsupported', `${this.url}: the server stopped honouring range requests (HTTP 200 to a Range request)`);
      }
      if (res.status !== 206) throw await statusError(this.url, res);
      const cr = parseContentRange(res.headers.get('Content-Range'));
      if (cr && (cr.start !== start || cr.end !== end - 1)) {
        throw new BlockError('io', `${this.url}: the server sent bytes ${cr.start}-${cr.end}, asked for ${start}-${end - 1}`);
      }
      const body = new Uint8Array(await res.arrayBuffer());
      if (body.length !== end - start) {
        throw new BlockError('io', `${this.url}: short range response: ${body.length} of ${end - start} bytes (truncated image?)`);
      }
      this.progress.bytesFetched += body.length;
      this.opts.onProgress?.({ ...this.progress });
      return body;
    })();
    let result: Promise<Uint8Array> = Promise.resolve(new Uint8Array(0));
    for (let blk = first; blk <= last; blk++) {
      const off = (blk - first) * this.blockSize;
      const p = all.then((body) => {
        const data = body.slice(off, Math.min(body.length, off + this.blockSize));
        this.store(blk, data);
        return data;
      });
      const tracked = p.finally(() => this.inflight.delete(blk));
      tracked.catch(() => undefined); // callers observe the error through their own await
      this.inflight.set(blk, tracked);
      if (blk === first) result = tracked;
    }
    return result;
  }

  private store(blk: number, data: Uint8Array): void {
    this.cache.delete(blk);
    this.cache.set(blk, data);
    while (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value as number);
  }
}

async function doFetch(fetch: FetchLike, url: string, init: { method?: string; headers?: Record<string, string> }): Promise<FetchResponseLike> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new BlockError(
      'network',
      `${url}: could not fetch (${why}): the network failed, the host is unreachable, or the server refused a cross-origin request (CORS)`,
    );
  }
}

async function statusError(url: string, res: FetchResponseLike): Promise<BlockError> {
  await res.body?.cancel().catch(() => undefined);
  const text = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (res.status === 404 || res.status === 410) return new BlockError('not-found', `${url}: image not found (${text})`);
  return new BlockError('io', `${url}: the server answered ${text}`);
}

function parseLength(v: string | null): number | undefined {
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `bytes a-b/total` (total may be `*`). */
function parseContentRange(v: string | null): { start: number; end: number; total: number | undefined } | undefined {
  const m = v ? /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(v) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

function makeId(url: string, size: number, res: FetchResponseLike): string {
  const tag = res.headers.get('ETag') ?? res.headers.get('Last-Modified');
  return `url:${url}:${size}${tag ? `:${tag}` : ''}`;
}
