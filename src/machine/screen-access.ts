/**
 * The machine's screen access in both placements: the first display-class device's text screen,
 * PNG screenshot and mode (src/devices/display/render/types.ts DisplayDevice), always async.
 * Isolated, the display device renders in its worker and answers control calls (comlink, never
 * the port-I/O path: src/channel/placement.ts PlacedDisplay); monolithic, the guarded model is
 * called in this thread. The CLI's --screen-text/--screenshot, the browser VM and the tests use it.
 */
import type { PlacedDevices, PlacedDisplay } from '../channel/placement.js';
import type { DeviceClass } from '../devices/api.js';
import type { DisplayModeInfo } from '../devices/display/render/types.js';

/** What screen access needs from the machine. */
export interface ScreenSource {
  readonly devices: readonly { id: string; type: { class: DeviceClass } }[];
  placementOf(id: string): PlacedDevices | undefined;
}

/** The first display device's screen access, or undefined when the machine has none. */
export function machineScreen(m: ScreenSource): PlacedDisplay | undefined {
  for (const d of m.devices) {
    if (d.type.class !== 'display') continue;
    const s = m.placementOf(d.id)?.display(d.id);
    if (s) return s;
  }
  return undefined;
}

/** The text screen (lines, code page 437 → Unicode); '' in graphics modes or without a display. */
export async function screenText(m: ScreenSource): Promise<string> {
  const s = machineScreen(m);
  return s ? s.screenText() : '';
}

/** The current picture as a PNG file; undefined without a display device. */
export async function screenshotPng(m: ScreenSource): Promise<Uint8Array | undefined> {
  const s = machineScreen(m);
  return s ? s.screenshotPng() : undefined;
}

/** The mode being displayed; undefined without a display device. */
export async function displayMode(m: ScreenSource): Promise<DisplayModeInfo | undefined> {
  const s = machineScreen(m);
  return s ? s.displayMode() : undefined;
}

/**
 * Whether a PNG from screenshotPng shows a picture rather than one flat colour: decodes the
 * stored (uncompressed) deflate blocks render/png.ts writes. Returns undefined for PNGs this
 * cannot read (compressed blocks), so callers can tell "blank" from "unknown".
 */
export function pngNotBlank(png: Uint8Array): boolean | undefined {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let pos = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  while (pos + 8 <= png.length) {
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(png[pos + 4], png[pos + 5], png[pos + 6], png[pos + 7]);
    const body = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(pos + 8);
      height = dv.getUint32(pos + 12);
      if (body[8] !== 8 || body[12] !== 0) return undefined; // 8-bit, not interlaced only
      channels = body[9] === 2 ? 3 : body[9] === 6 ? 4 : 0;
      if (channels === 0) return undefined;
    } else if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  if (width === 0 || height === 0) return false;
  // zlib stream: 2-byte header, then deflate blocks; only stored blocks (BTYPE 00) are read.
  const z = new Uint8Array(idat.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of idat) { z.set(b, o); o += b.length; }
  const stride = 1 + width * channels;
  const raw = new Uint8Array(stride * height);
  let r = 0;
  let p = 2;
  for (;;) {
    if (p + 5 > z.length) return undefined;
    const hdr = z[p];
    if (((hdr >> 1) & 3) !== 0) return undefined;
    const n = z[p + 1] | (z[p + 2] << 8);
    raw.set(z.subarray(p + 5, p + 5 + Math.min(n, raw.length - r)), r);
    r = Math.min(raw.length, r + n);
    p += 5 + n;
    if (hdr & 1) break;
  }
  if (r < raw.length) return undefined;
  const first = [raw[1], raw[2], raw[3]];
  for (let y = 0; y < height; y++) {
    if (raw[y * stride] !== 0) return undefined; // filter type None only
    for (let x = 0; x < width; x++) {
      const i = y * stride + 1 + x * channels;
      if (raw[i] !== first[0] || raw[i + 1] !== first[1] || raw[i + 2] !== first[2]) return true;
    }
  }
  return false;
}
