/** 8237 DMA pair through its ports, moving data with the IsaDma interface into a flat memory. */
import { describe, expect, it } from 'vitest';
import { fakeHost, FlatMemory } from '../fakes.js';
import { IsaDmaController } from '../../src/devices/chipset/dma.js';

const DMA1 = 0, DMA2 = 1, PAGE = 2;

function setup() {
  const memory = new FlatMemory(0x100000 * 4);
  const host = fakeHost({ memory });
  const dma = new IsaDmaController(host);
  return { host, dma, memory };
}

/** Program an 8-bit channel as a BIOS/Linux driver does. */
function program8(dma: IsaDmaController, ch: number, addr: number, count: number, mode: number) {
  const pagePort = [0x7, 0x3, 0x1, 0x2][ch];
  dma.ioWrite(DMA1, 0x0a, 1, 0x04 | ch); // mask
  dma.ioWrite(DMA1, 0x0c, 1, 0); // clear flip-flop
  dma.ioWrite(DMA1, 0x0b, 1, mode | ch);
  dma.ioWrite(DMA1, ch * 2, 1, addr & 0xff);
  dma.ioWrite(DMA1, ch * 2, 1, (addr >> 8) & 0xff);
  dma.ioWrite(PAGE, pagePort, 1, (addr >> 16) & 0xff);
  dma.ioWrite(DMA1, ch * 2 + 1, 1, (count - 1) & 0xff);
  dma.ioWrite(DMA1, ch * 2 + 1, 1, ((count - 1) >> 8) & 0xff);
  dma.ioWrite(DMA1, 0x0a, 1, ch); // unmask
}

/** 16-bit channel: word address and word count, registers on even ports of DMA2. */
function program16(dma: IsaDmaController, ch: number, addr: number, words: number, mode: number) {
  const c = ch - 4;
  const pagePort = [0xf, 0xb, 0x9, 0xa][c];
  dma.ioWrite(DMA2, 0x0a << 1, 1, 0x04 | c);
  dma.ioWrite(DMA2, 0x0c << 1, 1, 0);
  dma.ioWrite(DMA2, 0x0b << 1, 1, mode | c);
  const waddr = (addr >> 1) & 0xffff;
  dma.ioWrite(DMA2, (c * 2) << 1, 1, waddr & 0xff);
  dma.ioWrite(DMA2, (c * 2) << 1, 1, waddr >> 8);
  dma.ioWrite(PAGE, pagePort, 1, (addr >> 16) & 0xfe);
  dma.ioWrite(DMA2, (c * 2 + 1) << 1, 1, (words - 1) & 0xff);
  dma.ioWrite(DMA2, (c * 2 + 1) << 1, 1, ((words - 1) >> 8) & 0xff);
  dma.ioWrite(DMA2, 0x0a << 1, 1, c);
}

describe('8237 DMA', () => {
  it('device→memory on channel 2 (floppy read), terminal count masks the channel', async () => {
    const { dma, memory } = setup();
    program8(dma, 2, 0x12340, 512, 0x44); // single, write to memory, increment
    const data = Uint8Array.from({ length: 512 }, (_, i) => (i * 3) & 0xff);
    const r = await dma.transfer(2, data, true);
    expect(r).toEqual({ moved: 512, tc: true });
    expect(memory.bytes.subarray(0x12340, 0x12340 + 512)).toEqual(data);
    expect(dma.ioRead(DMA1, 0x08, 1) & 0x04).toBe(0x04); // TC2
    expect(dma.ioRead(DMA1, 0x08, 1) & 0x04).toBe(0); // cleared by read
    expect(dma.ioRead(DMA1, 0x0f, 1) & 0x04).toBe(0x04); // masked at TC
    expect(await dma.transfer(2, data, true)).toEqual({ moved: 0, tc: false });
  });

  it('memory→device, partial transfers and the current count/address registers', () => {
    const { dma, memory } = setup();
    memory.bytes.set([1, 2, 3, 4, 5, 6, 7, 8], 0x5000);
    program8(dma, 1, 0x5000, 8, 0x48); // read from memory
    const buf = new Uint8Array(3);
    expect(dma.transferSync(1, buf, false)).toEqual({ moved: 3, tc: false });
    expect(Array.from(buf)).toEqual([1, 2, 3]);
    dma.ioWrite(DMA1, 0x0c, 1, 0);
    expect(dma.ioRead(DMA1, 2, 1) | (dma.ioRead(DMA1, 2, 1) << 8)).toBe(0x5003);
    expect(dma.ioRead(DMA1, 3, 1) | (dma.ioRead(DMA1, 3, 1) << 8)).toBe(4);
    const rest = new Uint8Array(10);
    expect(dma.transferSync(1, rest, false)).toEqual({ moved: 5, tc: true });
    expect(Array.from(rest.subarray(0, 5))).toEqual([4, 5, 6, 7, 8]);
  });

  it('address decrement and auto-initialise', () => {
    const { dma, memory } = setup();
    program8(dma, 3, 0x8003, 4, 0x74); // auto-init, decrement, write to memory
    expect(dma.transferSync(3, Uint8Array.of(0xa, 0xb, 0xc, 0xd), true)).toEqual({ moved: 4, tc: true });
    expect(Array.from(memory.bytes.subarray(0x8000, 0x8004))).toEqual([0xd, 0xc, 0xb, 0xa]);
    // Auto-init: reloaded and still unmasked.
    expect(dma.ioRead(DMA1, 0x0f, 1) & 0x08).toBe(0);
    expect(dma.transferSync(3, Uint8Array.of(1, 2), true)).toEqual({ moved: 2, tc: false });
    expect(memory.bytes[0x8003]).toBe(1);
    expect(memory.bytes[0x8002]).toBe(2);
  });

  it('8-bit transfers wrap within the 64 KiB page', () => {
    const { dma, memory } = setup();
    program8(dma, 0, 0x2fffe, 4, 0x44);
    dma.transferSync(0, Uint8Array.of(1, 2, 3, 4), true);
    expect(Array.from(memory.bytes.subarray(0x2fffe, 0x30000))).toEqual([1, 2]);
    expect(Array.from(memory.bytes.subarray(0x20000, 0x20002))).toEqual([3, 4]);
  });

  it('16-bit channel 5: word addressing with page bit 0 ignored (SB16 16-bit DMA)', () => {
    const { dma, memory } = setup();
    program16(dma, 5, 0x31000, 4, 0x44);
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(dma.transferSync(5, data, true)).toEqual({ moved: 8, tc: true });
    expect(Array.from(memory.bytes.subarray(0x31000, 0x31008))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(dma.ioRead(DMA2, 0x08 << 1, 1) & 0x02).toBe(0x02); // TC on channel 5
    program16(dma, 7, 0x40000, 2, 0x48);
    memory.bytes.set([0xaa, 0xbb, 0xcc, 0xdd], 0x40000);
    const out = new Uint8Array(4);
    expect(dma.transferSync(7, out, false)).toEqual({ moved: 4, tc: true });
    expect(Array.from(out)).toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
  });

  it('mask, master clear, controller disable, cascade channel 4 and page scratch registers', () => {
    const { dma, host } = setup();
    program8(dma, 2, 0x1000, 16, 0x44);
    dma.ioWrite(DMA1, 0x0f, 1, 0x04); // all-mask: channel 2 masked
    expect(dma.transferSync(2, new Uint8Array(4), true).moved).toBe(0);
    dma.ioWrite(DMA1, 0x0e, 1, 0); // clear mask
    dma.ioWrite(DMA1, 0x08, 1, 0x04); // controller disable
    expect(dma.transferSync(2, new Uint8Array(4), true).moved).toBe(0);
    dma.ioWrite(DMA1, 0x0d, 1, 0); // master clear: all masked
    expect(dma.ioRead(DMA1, 0x0f, 1)).toBe(0xff);
    expect(dma.transferSync(4, new Uint8Array(4), true).moved).toBe(0);
    expect(host.guestErrors.length).toBe(1);
    dma.ioWrite(DMA1, 0x09, 1, 0x06); // software request channel 2
    expect(dma.ioRead(DMA1, 0x08, 1) & 0x40).toBe(0x40);
    dma.ioWrite(PAGE, 0x00, 1, 0x55); // port 0x80 scratch (POST code)
    expect(dma.ioRead(PAGE, 0x00, 1)).toBe(0x55);
  });

  it('state round-trips', () => {
    const { dma, host } = setup();
    program8(dma, 2, 0x12345, 100, 0x56);
    const s = dma.saveState();
    const d2 = new IsaDmaController(host);
    d2.loadState(JSON.parse(JSON.stringify(s)));
    expect(d2.saveState()).toEqual(s);
  });
});
