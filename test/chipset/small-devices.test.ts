/** Port 0x92 and the debug console. */
import { describe, expect, it } from 'vitest';
import { fakeHost } from '../fakes.js';
import { Port92 } from '../../src/devices/chipset/port92.js';
import { debugconType } from '../../src/devices/chipset/debugcon.js';

describe('port 0x92', () => {
  it('bit 1 drives A20, a 0→1 edge of bit 0 requests a reset', () => {
    const host = fakeHost();
    const p = new Port92(host);
    p.ioWrite(0, 0, 1, 0x02);
    expect(host.a20).toEqual([true]);
    expect(p.ioRead(0, 0, 1)).toBe(0x02);
    p.ioWrite(0, 0, 1, 0x00);
    expect(host.a20).toEqual([true, false]);
    expect(host.resets).toEqual([]);
    p.ioWrite(0, 0, 1, 0x03);
    expect(host.resets.length).toBe(1);
    p.ioWrite(0, 0, 1, 0x03); // no new edge
    expect(host.resets.length).toBe(1);
    p.reset();
    expect(p.ioRead(0, 0, 1)).toBe(0x02);
    p.ioWrite(0, 0, 1, 0x03);
    expect(host.resets.length).toBe(2);
  });
});

describe('isa-debugcon', () => {
  it('writes bytes to the sink and reads back 0xE9', () => {
    const out: number[] = [];
    const host = fakeHost({ backend: { write: (b: Uint8Array) => out.push(...b) } });
    const d = debugconType.create(host, {});
    for (const c of 'SeaBIOS\n') d.ioWrite!(0, 0, 1, c.charCodeAt(0));
    d.ioWriteString!(0, 0, 1, Uint8Array.of(0x41, 0x42));
    expect(String.fromCharCode(...out)).toBe('SeaBIOS\nAB');
    expect(d.ioRead!(0, 0, 1)).toBe(0xe9);
    expect(debugconType.resources({ iobase: 0xe9 }).ports[0].base).toBe(0xe9);
    expect(debugconType.resources({}).ports[0].base).toBe(0x402);
    expect(host.guestErrors).toEqual([]);
  });
});
