// RGB pixels of the 8-bit RGB PNGs render/png.ts writes (filter-0 rows), decoded with node:zlib:
// what the machine tests read back from screenshotPng().
import { inflateSync } from 'node:zlib';

export interface RgbPicture {
  width: number;
  height: number;
  rgb: Uint8Array;
  /** [r, g, b] of pixel (x, y). */
  at(x: number, y: number): number[];
}

export function decodeRgb(png: Uint8Array): RgbPicture {
  const b = Buffer.from(png);
  const width = b.readUInt32BE(16), height = b.readUInt32BE(20);
  const idat: Buffer[] = [];
  for (let p = 8; p < b.length;) {
    const len = b.readUInt32BE(p);
    if (b.toString('latin1', p + 4, p + 8) === 'IDAT') idat.push(b.subarray(p + 8, p + 8 + len));
    p += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) rgb.set(raw.subarray(y * (1 + width * 3) + 1, (y + 1) * (1 + width * 3)), y * width * 3);
  return { width, height, rgb, at: (x, y) => Array.from(rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)) };
}
