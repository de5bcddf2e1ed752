/**
 * The CPU-side memory path (cpu-side.ts) wired the way the machine wires it: the device model
 * (with a framebuffer grant and cpuSideWindow) wrapped by withVgaCpuSide on the machine's real
 * I/O router, with the router's write taps feeding the twin. Checks that the twin's registers
 * always equal the device's after random traffic, that window accesses are served by the twin,
 * that the direct-mapping plan follows the mode, and that the VBE clear happens once, in order.
 */
import { describe, expect, it } from 'vitest';
import type { AccessSize } from '../../src/devices/api.js';
import { VgaCpuSide, withVgaCpuSide } from '../../src/devices/display/cpu-side.js';
import { stdVgaType } from '../../src/devices/display/index.js';
import { asDisplayDevice } from '../../src/devices/display/render/types.js';
import type { StdVga } from '../../src/devices/display/vga.js';
import { IoRouter } from '../../src/machine/io-router.js';
import { fakeHost } from '../fakes.js';
import { prng } from './fuzz.js';
import { MODE_13 } from './helpers.js';

function machine() {
  const vram = new Uint8Array(16 << 20);
  const host = fakeHost();
  host.framebuffer = { vram, cpuSideWindow: true };
  const dev = stdVgaType.create(host, {}) as StdVga;
  const maps: [number, number, number | null][] = [];
  const cpu = new VgaCpuSide(vram, { mapWindow: (p, l, o) => maps.push([p, l, o]) });
  const router = new IoRouter({ ram: new Uint8Array(0) });
  router.addDevice('vga', withVgaCpuSide(dev, cpu), stdVgaType.resources({}));
  for (const port of VgaCpuSide.TAPPED_PORTS) router.tapPortWrites(port, (size, value) => cpu.observePortWrite(port, size, value));
  router.build();
  const out = (port: number, value: number, size: AccessSize = 1) => router.portWrite(port, size, value);
  return { vram, host, dev, cpu, router, maps, out };
}

function regs(w: { saveRegs(): { latch: number } }) {
  const r = w.saveRegs();
  return { ...r, latch: 0 };
}

describe('VGA CPU-side twin', () => {
  it('holds the same registers as the device after random port and window traffic of every width', () => {
    const m = machine();
    const rnd = prng(42);
    const ports = [0x3c1, 0x3c2, 0x3c3, 0x3c4, 0x3c5, 0x3cc, 0x3cd, 0x3ce, 0x3cf, 0x1ce, 0x1cf, 0x3d4, 0x3c0];
    const sizes: AccessSize[] = [1, 2, 4];
    for (let i = 0; i < 20_000; i++) {
      const port = ports[Math.floor(rnd() * ports.length)];
      const size = sizes[Math.floor(rnd() * sizes.length)];
      let value = Math.floor(rnd() * 0x100000000) >>> 0;
      if (port >= 0x1ce && port <= 0x1cf && rnd() < 0.9) value &= 0x00ff00ff; // mostly small modes
      m.out(port, value, size);
      const addr = 0xa0000 + Math.floor(rnd() * 0x20000);
      if (rnd() < 0.5) expect(Number.isInteger(m.router.mmioRead(addr, size))).toBe(true);
      else m.router.mmioWrite(addr, size, value);
      if (i % 1000 === 0) expect(regs(m.cpu.window)).toEqual(regs(m.dev.window));
    }
    expect(regs(m.cpu.window)).toEqual(regs(m.dev.window));
  });

  it('serves the legacy window itself, in order with port writes', () => {
    const m = machine();
    for (const [i, v] of MODE_13.seq.entries()) m.out(0x3c4, (v << 8) | i, 2);
    for (const [i, v] of MODE_13.gfx.entries()) m.out(0x3ce, (v << 8) | i, 2);
    m.router.mmioWrite(0xa0000 + 321, 1, 0x42);
    expect(m.vram[321]).toBe(0x42);
    // Switch to planar with a bit mask, write, and read back through the latches.
    m.out(0x3c4, 0x0604, 2);
    m.out(0x3ce, 0x0005, 2);
    m.out(0x3ce, 0x0f08, 2);
    m.router.mmioWrite(0xa0010, 1, 0xff);
    expect([...m.vram.subarray(0x40, 0x44)]).toEqual([0x0f, 0x0f, 0x0f, 0x0f]);
    m.out(0x3ce, 0x0204, 2);
    expect(m.router.mmioRead(0xa0010, 1)).toBe(0x0f);
    expect(m.cpu.stats.writes).toBe(2);
    expect(m.dev.window.latch).toBe(0); // the device never saw the access
    expect(m.cpu.window.latch).toBe(0x0f0f0f0f);
  });

  it('maps the window straight onto VRAM in chain-4 mode and back to exits for planar', () => {
    const m = machine();
    m.maps.length = 0;
    for (const [i, v] of MODE_13.seq.entries()) m.out(0x3c4, (v << 8) | i, 2);
    for (const [i, v] of MODE_13.gfx.entries()) m.out(0x3ce, (v << 8) | i, 2);
    expect(m.maps.slice(-2)).toEqual([[0xa0000, 0x10000, 0], [0xb0000, 0x10000, null]]);
    m.out(0x3c4, 0x0604, 2); // mode X
    expect(m.maps.at(-1)).toEqual([0xa0000, 0x20000, null]);
    // VBE banked: bank 2 maps 0xA0000 onto VRAM 0x20000.
    m.out(0x1ce, 4, 2);
    m.out(0x1cf, 0x81, 2);
    m.out(0x1ce, 5, 2);
    m.out(0x1cf, 2, 2);
    expect(m.cpu.currentPlan()[0]).toEqual({ start: 0, length: 0x10000, vramOffset: 0x20000 });
    // After the machine rebuilt its page map, reapply() restores the same mapping.
    m.maps.length = 0;
    m.cpu.reapply();
    expect(m.maps).toEqual([[0xa0000, 0x10000, 0x20000], [0xb0000, 0x10000, null]]);
  });

  it('clears VRAM on VBE enable on the CPU side only', () => {
    const m = machine();
    m.vram.fill(0x77, 0, 1 << 20);
    m.dev.ioWrite(1, 0, 2, 4);
    m.dev.ioWrite(1, 1, 2, 1); // the device alone: no clear (its twin owns memory side effects)
    expect(m.vram[0]).toBe(0x77);
    m.dev.ioWrite(1, 1, 2, 0);
    m.out(0x1ce, 4, 2);
    m.out(0x1cf, 1, 2); // through the router: the twin clears, in order
    // The reset-time registers fix up to 8x1 at 8 bpp: YRES × line length = 8 bytes cleared.
    expect([...m.vram.subarray(0, 9)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0x77]);
  });

  it('reset and state reach both halves; saved latches come from the CPU side', () => {
    const m = machine();
    const model = m.router.device('vga')!.model;
    m.out(0x3c4, 0x0604, 2);
    m.vram.set([1, 2, 3, 4], 0);
    m.out(0x3ce, 0x0006, 2);
    m.router.mmioRead(0xa0000, 1);
    const st = model.saveState!();
    expect((st.data as { mem: { latch: number } }).mem.latch).toBe(0x04030201);
    model.reset!();
    expect(regs(m.cpu.window)).toEqual(regs(m.dev.window));
    expect(m.cpu.window.sr[4]).toBe(0);
    model.loadState!(st);
    expect(m.cpu.window.sr[4]).toBe(6);
    expect(m.dev.window.sr[4]).toBe(6);
    expect(m.cpu.window.latch).toBe(0x04030201);
    expect(asDisplayDevice(model)?.displayMode().kind).toBe('blank');
  });
});
