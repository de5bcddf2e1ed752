/**
 * The PNG writer, checked by parsing its output independently: signature, chunk CRCs
 * (computed here bitwise, not with the encoder's table), IHDR fields, and the IDAT zlib stream
 * inflated with node:zlib and compared pixel by pixel.
 */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../src/devices/display/render/png.js';
import { MODE_13, makeVga } from './helpers.js';

function crcBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

interface Decoded { width: number; height: number; rgb: Uint8Array; chunks: string[] }

function decode(png: Uint8Array): Decoded {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  const chunks: string[] = [];
  while (at < png.length) {
    const len = dv.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    expect(dv.getUint32(at + 8 + len)).toBe(crcBitwise(png.subarray(at + 4, at + 8 + len)));
    chunks.push(type);
    if (type === 'IHDR') {
      width = dv.getUint32(at + 8);
      height = dv.getUint32(at + 12);
      expect([...data.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = 1 + width * 3;
  expect(raw.length).toBe(stride * height);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    expect(raw[y * stride]).toBe(0);
    rgb.set(raw.subarray(y * stride + 1, (y + 1) * stride), y * width * 3);
  }
  return { width, height, rgb, chunks };
}

describe('PNG writer', () => {
  it('round-trips a small image', () => {
    const w = 3;
    const h = 2;
    const rgba = new Uint8ClampedArray(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([i * 40, 255 - i * 30, i * 7, 255], i * 4);
    const d = decode(encodePng(w, h, rgba));
    expect(d.chunks).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([d.width, d.height]).toEqual([w, h]);
    for (let i = 0; i < w * h; i++) expect([...d.rgb.subarray(i * 3, i * 3 + 3)]).toEqual([i * 40, 255 - i * 30, i * 7]);
  });

  it('splits data over several stored blocks (more than 64 KiB)', () => {
    const w = 200;
    const h = 150; // 150 * 601 bytes = 90150 > 65535
    const rgba = new Uint8ClampedArray(w * h * 4);
    for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 2654435761) >>> 24;
    const d = decode(encodePng(w, h, rgba));
    for (let p = 0; p < w * h; p += 97) {
      expect([...d.rgb.subarray(p * 3, p * 3 + 3)]).toEqual([rgba[p * 4], rgba[p * 4 + 1], rgba[p * 4 + 2]]);
    }
  });

  it('screenshots the VGA picture', () => {
    const v = makeVga();
    v.setMode(MODE_13);
    v.dac(3, 0, 63, 0);
    v.memw(0xa0000 + 320 + 1, 3);
    const d = decode(v.dev.screenshotPng());
    expect([d.width, d.height]).toEqual([640, 400]);
    const at = (x: number, y: number) => [...d.rgb.subarray((y * 640 + x) * 3, (y * 640 + x) * 3 + 3)];
    expect(at(2, 2)).toEqual([0, 255, 0]);
    expect(at(0, 0)).toEqual([0, 0, 0]);
  });

  it('rejects impossible sizes', () => {
    expect(() => encodePng(0, 1, new Uint8Array(4))).toThrow(RangeError);
    expect(() => encodePng(2, 2, new Uint8Array(4))).toThrow(RangeError);
  });
});
