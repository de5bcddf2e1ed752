/**
 * URL backend against a real local HTTP server on 127.0.0.1 with Node's fetch: lazy range
 * reads with caching and coalescing, progress, and the error cases (404, no range support,
 * size unknown, short responses, network failure), plus an overlay on top.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UrlBlock, type FetchLike } from '../../src/block/url.js';
import { OverlayBlock } from '../../src/block/overlay.js';
import type { BlockProgress } from '../../src/block/api.js';
import { expectBytes } from './bytes.js';

const IMAGE = Uint8Array.from({ length: 2 * 1024 * 1024 }, (_, i) => (i * 13 + (i >> 10)) & 0xff);
const SMALL = IMAGE.subarray(0, 64 * 1024);
let server: Server;
let base = '';
const log: { path: string; range: string | undefined; method: string }[] = [];

function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  const range = req.headers.range;
  log.push({ path, range, method: req.method ?? 'GET' });
  const send = (status: number, headers: Record<string, string | number>, body?: Uint8Array): void => {
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' || !body ? undefined : Buffer.from(body));
  };
  const m = range ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
  switch (path) {
    case '/disk.img':
    case '/hidden-size.img': {
      if (!m) return send(200, { 'Content-Length': IMAGE.length, 'Accept-Ranges': 'bytes' }, IMAGE);
      const a = Number(m[1]);
      const b = Math.min(Number(m[2]), IMAGE.length - 1);
      if (a >= IMAGE.length) return send(416, { 'Content-Range': `bytes */${IMAGE.length}` });
      const headers: Record<string, string | number> = { 'Content-Length': b - a + 1 };
      if (path === '/disk.img') headers['Content-Range'] = `bytes ${a}-${b}/${IMAGE.length}`;
      return send(206, headers, IMAGE.subarray(a, b + 1));
    }
    case '/norange-small.img':
      return send(200, { 'Content-Length': SMALL.length }, SMALL);
    case '/norange-big.img':
      return send(200, { 'Content-Length': IMAGE.length }, IMAGE);
    case '/short.img': {
      // Claims the full size but every range response is cut short.
      const a = m ? Number(m[1]) : 0;
      const b = m ? Number(m[2]) : IMAGE.length - 1;
      const body = IMAGE.subarray(a, Math.min(b + 1, a + 100));
      res.writeHead(206, { 'Content-Range': `bytes ${a}-${b}/${IMAGE.length}` });
      return void res.end(Buffer.from(body));
    }
    case '/odd.img': {
      const odd = IMAGE.subarray(0, 1000);
      return send(206, { 'Content-Range': `bytes 0-999/1000`, 'Content-Length': 1000 }, odd);
    }
    case '/spa-fallback.img':
      // A missing file answered with a web page (SPA fallback): 1024 bytes, a whole number of sectors.
      return send(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': 1024 }, new Uint8Array(1024).fill(0x3c));
    case '/secret.img':
      return send(403, { 'Content-Length': 0 });
    default:
      return send(404, { 'Content-Length': 0 });
  }
}

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const nodeFetch: FetchLike = (url, init) => fetch(url, init);

describe('UrlBlock', () => {
  it('reads lazily with range requests, caches blocks and coalesces runs', async () => {
    const progress: BlockProgress[] = [];
    log.length = 0;
    const b = await UrlBlock.open(`${base}/disk.img`, { fetch: nodeFetch, blockSize: 64 * 1024, onProgress: (p) => progress.push(p) });
    expect(b.size).toBe(IMAGE.length);
    expect(b.readOnly).toBe(true);
    expect(b.id).toContain('/disk.img');
    expect(log).toEqual([{ path: '/disk.img', range: 'bytes=0-65535', method: 'GET' }]);
    const buf = new Uint8Array(1000);
    await b.read(500, buf); // inside the probed first block: no request
    expectBytes(buf, IMAGE.subarray(500, 1500));
    expect(log.length).toBe(1);
    const big = new Uint8Array(200 * 1024);
    await b.read(1024 * 1024 + 100, big); // 4 blocks, one request
    expectBytes(big, IMAGE.subarray(1024 * 1024 + 100, 1024 * 1024 + 100 + big.length));
    expect(log.length).toBe(2);
    expect(log[1].range).toBe(`bytes=${16 * 65536}-${20 * 65536 - 1}`);
    await b.read(1024 * 1024 + 100, big); // cached
    expect(log.length).toBe(2);
    // Concurrent readers of the same block share one request.
    await Promise.all([b.read(300000, new Uint8Array(10)), b.read(300010, new Uint8Array(10))]);
    expect(log.length).toBe(3);
    expect(progress.at(-1)).toEqual({ requests: 3, bytesFetched: 65536 * 6 });
    expect(b.stats.requests).toBe(3);
    await expect(b.read(IMAGE.length - 10, new Uint8Array(20))).rejects.toMatchObject({ code: 'out-of-range' });
    await expect(b.write()).rejects.toMatchObject({ code: 'read-only' });
  });

  it('reports 404 as not-found and other statuses as io', async () => {
    await expect(UrlBlock.open(`${base}/missing.img`, { fetch: nodeFetch })).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringContaining('404'),
    });
    await expect(UrlBlock.open(`${base}/spa-fallback.img`, { fetch: nodeFetch })).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringContaining('web page (text/html'),
    });
    await expect(UrlBlock.open(`${base}/secret.img`, { fetch: nodeFetch })).rejects.toMatchObject({
      code: 'io',
      message: expect.stringContaining('403'),
    });
  });

  it('accepts a small image from a server without range support, refuses a big one', async () => {
    const b = await UrlBlock.open(`${base}/norange-small.img`, { fetch: nodeFetch, maxWholeBody: 1024 * 1024 });
    expect(b.size).toBe(SMALL.length);
    const buf = new Uint8Array(4096);
    await b.read(60000, buf);
    expectBytes(buf, SMALL.subarray(60000, 64096));
    await expect(UrlBlock.open(`${base}/norange-big.img`, { fetch: nodeFetch, maxWholeBody: 1024 * 1024 })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/does not support HTTP range requests/),
    });
  });

  it('needs the size: hidden Content-Range falls back to HEAD, else fails clearly', async () => {
    const b = await UrlBlock.open(`${base}/hidden-size.img`, { fetch: nodeFetch });
    expect(b.size).toBe(IMAGE.length);
    // A fetch that hides both Content-Range and Content-Length (like a CORS response without exposed headers).
    const hiding: FetchLike = async (url, init) => {
      const r = await fetch(url, init);
      return {
        status: r.status,
        headers: { get: (n: string) => (/content-(range|length)/i.test(n) ? null : r.headers.get(n)) },
        arrayBuffer: () => r.arrayBuffer(),
        body: r.body,
      };
    };
    await expect(UrlBlock.open(`${base}/disk.img`, { fetch: hiding })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringContaining('Access-Control-Expose-Headers'),
    });
    await expect(UrlBlock.open(`${base}/disk.img`, { fetch: nodeFetch, size: IMAGE.length - 512 })).rejects.toMatchObject({ code: 'bad-image' });
    const given = await UrlBlock.open(`${base}/disk.img`, { fetch: hiding, size: IMAGE.length });
    const buf = new Uint8Array(512);
    await given.read(IMAGE.length - 512, buf);
    expectBytes(buf, IMAGE.subarray(IMAGE.length - 512));
  });

  it('rejects truncated responses and bad image sizes', async () => {
    const b = await UrlBlock.open(`${base}/short.img`, { fetch: nodeFetch, blockSize: 4096 });
    await expect(b.read(8192, new Uint8Array(512))).rejects.toMatchObject({ code: 'io', message: expect.stringContaining('short') });
    await expect(UrlBlock.open(`${base}/odd.img`, { fetch: nodeFetch })).rejects.toMatchObject({ code: 'bad-image' });
  });

  it('reports a network failure (nothing listening) as network', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    await expect(UrlBlock.open(`http://127.0.0.1:${port}/x.img`, { fetch: nodeFetch })).rejects.toMatchObject({
      code: 'network',
      message: expect.stringContaining('CORS'),
    });
  });

  it('carries a copy-on-write overlay for guest writes', async () => {
    log.length = 0;
    const url = await UrlBlock.open(`${base}/disk.img`, { fetch: nodeFetch, blockSize: 64 * 1024 });
    const ov = await OverlayBlock.open(url, { blockSize: 4096 });
    await ov.write(700 * 1024, new Uint8Array(512).fill(0x77));
    const buf = new Uint8Array(1024);
    await ov.read(700 * 1024 - 512, buf);
    expectBytes(buf.subarray(0, 512), IMAGE.subarray(700 * 1024 - 512, 700 * 1024));
    expect(buf.subarray(512).every((x) => x === 0x77)).toBe(true);
    expect(log.every((l) => l.method === 'GET' || l.method === 'HEAD')).toBe(true);
  });
});
