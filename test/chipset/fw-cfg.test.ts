/** fw_cfg through its ports (selector/data and DMA), as SeaBIOS's qemu_cfg_init uses it. */
import { describe, expect, it } from 'vitest';
import { fakeHost, FlatMemory } from '../fakes.js';
import { FwCfg, fwCfgType } from '../../src/devices/chipset/fw-cfg.js';
import { FW_CFG, type FwCfgConfig } from '../../src/devices/chipset/fw-cfg-items.js';

const RAM = 128 * 1024 * 1024;

function setup(cfg: Partial<FwCfgConfig> = {}) {
  const memory = new FlatMemory(0x200000);
  const host = fakeHost({ memory });
  const fw = new FwCfg(host, { ramBytes: RAM, cpus: 1, bootOrder: ['/pci@i0cf8/ide@1,1/drive@0/disk@0'], ...cfg }, true);
  const select = (k: number) => fw.ioWrite(0, 0, 2, k);
  const read = (n: number) => Uint8Array.from({ length: n }, () => fw.ioRead(0, 1, 1));
  const le = (b: Uint8Array) => b.reduceRight((v, x) => v * 256 + x, 0);
  return { host, fw, memory, select, read, le };
}

function dir(read: (n: number) => Uint8Array) {
  const count = new DataView(read(4).buffer).getUint32(0, false);
  const files: { name: string; size: number; select: number }[] = [];
  for (let i = 0; i < count; i++) {
    const e = read(64);
    const dv = new DataView(e.buffer);
    let name = '';
    for (let j = 8; j < 64 && e[j]; j++) name += String.fromCharCode(e[j]);
    files.push({ name, size: dv.getUint32(0, false), select: dv.getUint16(4, false) });
  }
  return files;
}

/** Write a big-endian FWCfgDmaAccess at `at` and kick it through port 0x518 as SeaBIOS does. */
function dma(fw: FwCfg, memory: FlatMemory, at: number, control: number, length: number, address: number) {
  const dv = new DataView(memory.bytes.buffer);
  dv.setUint32(at, control, false);
  dv.setUint32(at + 4, length, false);
  dv.setUint32(at + 8, 0, false);
  dv.setUint32(at + 12, address, false);
  // outl(cpu_to_be32(at), 0x518): the port sees the byte-swapped value.
  const be = ((at & 0xff) << 24) | ((at & 0xff00) << 8) | ((at >>> 8) & 0xff00) | (at >>> 24);
  fw.ioWrite(1, 0, 4, 0);
  fw.ioWrite(1, 4, 4, be >>> 0);
  return dv.getUint32(at, false);
}

describe('fw_cfg', () => {
  it('signature, ID with the DMA bit, RAM size and CPU counts', () => {
    const { select, read, le, fw } = setup({ cpus: 2 });
    select(FW_CFG.SIGNATURE);
    expect(String.fromCharCode(...read(4))).toBe('QEMU');
    expect(Array.from(read(2))).toEqual([0, 0]); // past the end reads zero
    select(FW_CFG.ID);
    expect(le(read(4))).toBe(3);
    select(FW_CFG.RAM_SIZE);
    expect(le(read(8))).toBe(RAM);
    select(FW_CFG.NB_CPUS);
    expect(le(read(2))).toBe(2);
    select(FW_CFG.MAX_CPUS);
    expect(le(read(2))).toBe(2);
    select(FW_CFG.NUMA);
    expect(le(read(8))).toBe(0);
    select(FW_CFG.BOOT_MENU);
    expect(le(read(2))).toBe(0);
    select(0x7777); // absent item
    expect(Array.from(read(2))).toEqual([0, 0]);
    // The DMA port reads back "QEMU CFG" as a big-endian 64-bit value.
    expect(fw.ioRead(1, 0, 4)).toBe(0x554d4551);
    expect(fw.ioRead(1, 4, 4)).toBe(0x47464320);
  });

  it('file directory is sorted, big-endian, and files read through the data port', () => {
    const { select, read, le } = setup();
    select(FW_CFG.FILE_DIR);
    const files = dir(read);
    expect(files.map((f) => f.name)).toEqual(['bootorder', 'etc/boot-fail-wait', 'etc/e820']);
    expect(files.map((f) => f.select)).toEqual([0x20, 0x21, 0x22]);
    const e820 = files.find((f) => f.name === 'etc/e820')!;
    expect(e820.size).toBe(20);
    select(e820.select);
    const entry = read(20);
    expect(le(entry.subarray(0, 8))).toBe(0);
    expect(le(entry.subarray(8, 16))).toBe(RAM);
    expect(le(entry.subarray(16, 20))).toBe(1);
    const bo = files.find((f) => f.name === 'bootorder')!;
    select(bo.select);
    const text = read(bo.size);
    expect(String.fromCharCode(...text)).toBe('/pci@i0cf8/ide@1,1/drive@0/disk@0\0');
    select(0x21);
    expect(le(read(4))).toBe(0xffffffff);
  });

  it('reads a file through DMA (select + read), skips, and zero-fills past the end', () => {
    const { fw, memory } = setup({ files: [{ name: 'etc/test', data: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff) }] });
    const sel = fw.fileSelector('etc/test')!;
    expect(sel).toBeGreaterThanOrEqual(0x20);
    const ctl = dma(fw, memory, 0x1000, (sel << 16) | 0x08 | 0x02, 300, 0x4000);
    expect(ctl).toBe(0);
    expect(Array.from(memory.bytes.subarray(0x4000, 0x4000 + 300))).toEqual(Array.from({ length: 300 }, (_, i) => i & 0xff));
    // Select, skip 100, read 10.
    expect(dma(fw, memory, 0x1000, (sel << 16) | 0x08 | 0x04, 100, 0)).toBe(0);
    memory.bytes.fill(0xee, 0x5000, 0x5020);
    expect(dma(fw, memory, 0x1000, 0x02, 10, 0x5000)).toBe(0);
    expect(Array.from(memory.bytes.subarray(0x5000, 0x500a))).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    // Past the end: 190 bytes remain, then zeros.
    expect(dma(fw, memory, 0x1000, 0x02, 200, 0x6000)).toBe(0);
    expect(memory.bytes[0x6000 + 189]).toBe(299 & 0xff);
    expect(Array.from(memory.bytes.subarray(0x6000 + 190, 0x6000 + 200))).toEqual(new Array(10).fill(0));
  });

  it('DMA write is refused with the error bit; a transfer outside RAM sets it too', () => {
    const { fw, memory, host } = setup();
    expect(dma(fw, memory, 0x1000, (FW_CFG.SIGNATURE << 16) | 0x08 | 0x10, 4, 0x2000) & 1).toBe(1);
    expect(dma(fw, memory, 0x1000, (FW_CFG.SIGNATURE << 16) | 0x08 | 0x02, 4, 0x1ffffe) & 1).toBe(1);
    expect(host.guestErrors.length).toBeGreaterThan(0);
  });

  it('optional direct Linux boot items and boot menu settings', () => {
    const { select, read, le } = setup({
      bootMenu: true,
      bootMenuWaitMs: 2500,
      linux: { kernel: { address: 0x100000, data: Uint8Array.of(1, 2, 3) }, cmdline: { address: 0x20000, text: 'console=ttyS0' } },
    });
    select(FW_CFG.BOOT_MENU);
    expect(le(read(2))).toBe(1);
    select(FW_CFG.KERNEL_SIZE);
    expect(le(read(4))).toBe(3);
    select(FW_CFG.KERNEL_DATA);
    expect(Array.from(read(3))).toEqual([1, 2, 3]);
    select(FW_CFG.CMDLINE_SIZE);
    expect(le(read(4))).toBe(14);
    select(FW_CFG.CMDLINE_DATA);
    expect(String.fromCharCode(...read(14))).toBe('console=ttyS0\0');
    select(FW_CFG.FILE_DIR);
    expect(dir(read).map((f) => f.name)).toContain('etc/boot-menu-wait');
  });

  it('bulk string reads (rep insb) match byte reads', () => {
    const { fw, select } = setup();
    select(FW_CFG.FILE_DIR);
    const buf = new Uint8Array(10);
    fw.ioReadString(0, 1, 1, buf);
    expect(new DataView(buf.buffer).getUint32(0, false)).toBe(3);
  });

  it('registry factory takes the config from the backend', () => {
    const host = fakeHost({ backend: { ramBytes: 64 << 20, cpus: 1 } as FwCfgConfig });
    const fw = fwCfgType.create(host, {});
    fw.ioWrite!(0, 0, 2, FW_CFG.RAM_SIZE);
    let v = 0;
    for (let i = 0; i < 4; i++) v += fw.ioRead!(0, 1, 1) * 2 ** (8 * i);
    expect(v).toBe(64 << 20);
  });
});
