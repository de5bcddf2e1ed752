/**
 * Random register and memory traffic for the VGA (conformance fuzzing and the CPU-side twin
 * test): mostly the index/data ports that matter, sometimes any offset (and a few past the
 * end), window and framebuffer accesses, virtual time passing, frames rendered.
 */
import { expect } from 'vitest';
import type { AccessSize, DeviceModel } from '../../src/devices/api.js';
import { stdVgaType } from '../../src/devices/display/index.js';
import type { StdVga } from '../../src/devices/display/vga.js';
import type { FakeHost } from '../fakes.js';

export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** Interesting ports get most of the traffic; any offset (and a few past the end) may come. */
const HOT = [0x3c0, 0x3c4, 0x3c5, 0x3ce, 0x3cf, 0x3d4, 0x3d5, 0x3c8, 0x3c9, 0x3c7, 0x3da, 0x3c2, 0x1ce, 0x1cf];

export function randomAccesses(host: FakeHost, dev: DeviceModel & Partial<StdVga>, n: number, seed: number): void {
  const rnd = prng(seed);
  const res = stdVgaType.resources({});
  const sizes: AccessSize[] = [1, 1, 2, 4];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const size = sizes[Math.floor(rnd() * sizes.length)];
    const value = Math.floor(rnd() * 0x100000000) >>> 0;
    if (r < 0.55) {
      let region: number;
      let offset: number;
      if (rnd() < 0.7) {
        const port = HOT[Math.floor(rnd() * HOT.length)];
        region = port < 0x3b0 ? 1 : 0;
        offset = port - res.ports[region].base;
      } else {
        region = Math.floor(rnd() * 2);
        offset = Math.floor(rnd() * (res.ports[region].length + 3));
      }
      // DISPI: keep modes small most of the time so the enable-time clear stays cheap.
      const v = region === 1 && rnd() < 0.8 ? value & 0x3ff : value;
      if (rnd() < 0.5) expect(Number.isInteger(dev.ioRead!(region, offset, size))).toBe(true);
      else dev.ioWrite!(region, offset, size, v);
    } else if (r < 0.93) {
      const region = rnd() < 0.8 ? 0 : 1;
      const len = region === 0 ? 0x20000 : 16 << 20;
      const offset = Math.floor(rnd() * (len + 8));
      if (rnd() < 0.5) expect(Number.isInteger(dev.mmioRead!(region, offset, size))).toBe(true);
      else dev.mmioWrite!(region, offset, size, value);
    } else if (r < 0.99) {
      host.clock.advance(Math.floor(rnd() * 2_000_000));
    } else if (dev.renderFrame) {
      const f = dev.renderFrame();
      expect(f.rgba.length).toBe(f.width * f.height * 4);
      expect(typeof dev.screenText!()).toBe('string');
    }
  }
}

