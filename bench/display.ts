/**
 * Display benchmark (`npm run bench:display`), Node:
 *  1. render cost per frame of the std VGA renderer (src/devices/display/render): full redraw
 *     and unchanged frame (compare only), in text mode 03h (720x400), planar mode 12h (640x480)
 *     and VBE 800x600 at 8 and 32 bpp; plus the PNG encoding of a screenshot;
 *  2. the legacy window in planar mode (write mode 0 with set/reset, bit mask) through the device
 *     channel — posted writes and round-trip reads to the VGA in its display worker, which is
 *     what every access would cost without the CPU-side twin — against the twin (VgaCpuSide,
 *     the path the machine actually uses: docs/display.md "Memory paths");
 *  3. a screenshot as a control call (placed.display(id).screenshotPng()) to the display worker
 *     against the same call in this thread.
 * Median of repeated runs; the numbers go to docs/display.md by hand.
 */
import type { AccessSize, DeviceModel } from '../src/devices/api.js';
import { VgaCpuSide } from '../src/devices/display/cpu-side.js';
import { makeHarness, place } from '../test/channel/harness.js';
import { makeVga, MODE_03, MODE_12, type Vga, type VgaMode } from '../test/display/helpers.js';

const now = (): number => performance.now();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Port and window accesses on any VGA model (a local model, the channel proxy, the twin). */
function driver(m: DeviceModel) {
  const port = (p: number) => (p >= 0x1ce && p <= 0x1d0 ? { r: 1, o: p - 0x1ce } : { r: 0, o: p - 0x3b0 });
  const out = (p: number, v: number, size: AccessSize = 1): void => { const x = port(p); m.ioWrite!(x.r, x.o, size, v); };
  const inb = (p: number): number => { const x = port(p); return m.ioRead!(x.r, x.o, 1); };
  const d = {
    out, inb,
    seq: (i: number, v: number) => { out(0x3c4, i); out(0x3c5, v); },
    gfx: (i: number, v: number) => { out(0x3ce, i); out(0x3cf, v); },
    crtc: (i: number, v: number) => { out(0x3d4, i); out(0x3d5, v); },
    attr: (i: number, v: number) => { inb(0x3da); out(0x3c0, i); out(0x3c0, v); },
    setMode(mode: VgaMode) {
      out(0x3c2, mode.misc);
      mode.seq.forEach((v, i) => d.seq(i, v));
      d.crtc(0x11, 0);
      mode.crtc.forEach((v, i) => d.crtc(i, v));
      mode.attr.forEach((v, i) => d.attr(i, v));
      mode.gfx.forEach((v, i) => d.gfx(i, v));
      inb(0x3da);
      out(0x3c0, 0x20);
    },
  };
  return d;
}

/** ms per frame: `full` forces a full redraw (a DAC write), `unchanged` renders with nothing new. */
function renderCost(v: Vga, frames: number): { full: number; unchanged: number } {
  const dev = v.dev;
  dev.renderFrame();
  const full: number[] = [];
  const same: number[] = [];
  for (let i = 0; i < frames; i++) {
    v.dac(1, i & 0x3f, 0, 0); // a palette change redraws everything
    let t0 = now();
    const u = dev.renderFrame();
    full.push(now() - t0);
    if (!u.dirty || u.dirty.y1 - u.dirty.y0 !== u.height) throw new Error('expected a full redraw');
    t0 = now();
    const s = dev.renderFrame();
    same.push(now() - t0);
    if (s.dirty) throw new Error('expected an unchanged frame');
  }
  return { full: median(full), unchanged: median(same) };
}

function renderBench(): void {
  console.log('render, ms per frame (median):');
  const rows: [string, number, number, number][] = [];
  const push = (name: string, v: Vga) => {
    const r = renderCost(v, 40);
    for (let i = 0; i < 3; i++) v.dev.screenshotPng(); // warm-up (JIT)
    const png: number[] = [];
    for (let i = 0; i < 7; i++) { const t0 = now(); v.dev.screenshotPng(); png.push(now() - t0); }
    rows.push([name, r.full, r.unchanged, median(png)]);
  };
  {
    const v = makeVga();
    v.setMode(MODE_03);
    // Characters and attributes over the whole screen, a font in plane 2.
    for (let k = 0; k < 80 * 25; k++) { v.vram[k * 4] = 0x21 + (k % 90); v.vram[k * 4 + 1] = 0x07 + (k % 7); }
    for (let g = 0; g < 256 * 32; g++) v.vram[g * 4 + 2] = (g * 37) & 0xff;
    push('text 80x25 (720x400)', v);
  }
  {
    const v = makeVga();
    v.setMode(MODE_12);
    for (let i = 0; i < 38400 * 4; i++) v.vram[i] = (i * 2654435761) >>> 24;
    push('12h planar (640x480x4)', v);
  }
  for (const bpp of [8, 32]) {
    const v = makeVga();
    v.dispi(4, 0);
    v.dispi(1, 800);
    v.dispi(2, 600);
    v.dispi(3, bpp);
    v.dispi(4, 0x01 | 0x40 | 0x80); // enabled, LFB, no clear
    v.displayOn();
    for (let i = 0; i < 800 * 600 * (bpp / 8); i++) v.vram[i] = (i * 2654435761) >>> 24;
    push(`VBE 800x600x${bpp}`, v);
  }
  for (const [name, full, same, png] of rows) {
    console.log(`  ${name.padEnd(24)} full ${full.toFixed(2).padStart(6)}   unchanged ${same.toFixed(3).padStart(6)}   screenshotPng ${png.toFixed(1).padStart(5)}`);
  }
}

/** Planar window accesses: µs per write and per read through `m` (mode 12h, write mode 0). */
function planarCost(m: DeviceModel, writes: number, reads: number): { writeUs: number; readUs: number } {
  const d = driver(m);
  d.setMode(MODE_12);
  d.gfx(1, 0x0f); // set/reset enable on all planes
  d.gfx(0, 0x05); // colour 5
  d.gfx(8, 0x81); // bit mask
  for (let i = 0; i < 1000; i++) { m.mmioWrite!(0, i, 1, 0xff); m.mmioRead!(0, i, 1); }
  let t0 = now();
  for (let i = 0; i < writes; i++) m.mmioWrite!(0, i % 38400, 1, 0xff);
  m.mmioRead!(0, 0, 1); // every posted write applied
  const writeUs = ((now() - t0) * 1000) / writes;
  let sink = 0;
  t0 = now();
  for (let i = 0; i < reads; i++) sink ^= m.mmioRead!(0, i % 38400, 1); // read mode 0: latches + plane
  const readUs = ((now() - t0) * 1000) / reads;
  if (sink === -1) throw new Error('unreachable');
  return { writeUs, readUs };
}

async function channelBench(): Promise<void> {
  console.log('planar window (mode 12h, write mode 0 + set/reset + bit mask), µs per access:');
  // Through the channel: the VGA in its display worker serves the window itself.
  const h = makeHarness();
  const placed = await place([{ id: 'vga', type: 'VGA' }], 'isolated', h);
  try {
    const m = placed.models.get('vga')!;
    const runs = [1, 2, 3].map(() => planarCost(m, 200_000, 20_000));
    console.log(`  channel (display worker)   write ${median(runs.map((r) => r.writeUs)).toFixed(3)}   read ${median(runs.map((r) => r.readUs)).toFixed(2)}`);

    // Screenshot as a control call to the display worker (text mode).
    driver(m).setMode(MODE_03);
    const disp = placed.display('vga')!;
    await disp.screenshotPng();
    const rpc: number[] = [];
    for (let i = 0; i < 20; i++) { const t0 = now(); await disp.screenshotPng(); rpc.push(now() - t0); }
    const txt: number[] = [];
    for (let i = 0; i < 50; i++) { const t0 = now(); await disp.screenText(); txt.push(now() - t0); }
    console.log(`  control calls to the display worker: screenshotPng ${median(rpc).toFixed(1)} ms, screenText ${median(txt).toFixed(2)} ms (median)`);
  } finally {
    await placed.shutdown();
  }
  // The twin in this thread: the path the machine uses (the device sees only the port writes).
  const v = makeVga({ framebuffer: new Uint8Array(16 << 20), cpuSideWindow: true });
  const twin = new VgaCpuSide(v.vram, { mapWindow: () => {} });
  const both: DeviceModel = {
    ioWrite: (r, o, s, val) => {
      const port = r === 1 ? 0x1ce + o : 0x3b0 + o;
      if (VgaCpuSide.TAPPED_PORTS.includes(port)) twin.observePortWrite(port, s, val);
      v.dev.ioWrite(r, o, s, val);
    },
    ioRead: (r, o, s) => v.dev.ioRead(r, o, s),
    mmioWrite: (r, o, s, val) => twin.mmioWrite(r, o, s, val),
    mmioRead: (r, o, s) => twin.mmioRead(r, o, s),
  };
  const runs = [1, 2, 3].map(() => planarCost(both, 2_000_000, 2_000_000));
  console.log(`  CPU-side twin (this thread) write ${median(runs.map((r) => r.writeUs)).toFixed(3)}   read ${median(runs.map((r) => r.readUs)).toFixed(3)}`);
}

renderBench();
await channelBench();
process.exit(0);
