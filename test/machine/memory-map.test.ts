// Memory map: RAM/ROM/VGA/PCI-hole page kinds, the BIOS at 0xE0000 and below 4 GiB, PAM
// shadowing (ROM / read-only RAM / write-only RAM / RAM) and the MMIO marking of BARs,
// observed through a fake core that implements the page-map semantics of CpuCoreApi.
import { describe, expect, it } from 'vitest';
import { PhysKind, type CpuCoreApi } from '../../src/machine/cpu-api.js';
import { computeLayout } from '../../src/machine/layout.js';
import { MemoryMap } from '../../src/machine/memory-map.js';
import { IoRouter } from '../../src/machine/io-router.js';

/** The physical page map of the core, in JS: what a guest load/store would see. */
class FakeCore implements Pick<CpuCoreApi, 'mapPhysical' | 'setA20'> {
  kinds = new Uint8Array(1 << 20);
  offsets = new Float64Array(1 << 20);
  a20: boolean[] = [];
  router: IoRouter | undefined;
  constructor(readonly mem: Uint8Array) {}
  mapPhysical(physStart: number, length: number, kind: PhysKind, memOffset: number): void {
    expect(physStart % 4096).toBe(0);
    expect(length % 4096).toBe(0);
    for (let i = 0; i < length / 4096; i++) {
      this.kinds[physStart / 4096 + i] = kind;
      this.offsets[physStart / 4096 + i] = memOffset + i * 4096;
    }
  }
  setA20(enabled: boolean): void { this.a20.push(enabled); }
  kind(addr: number): PhysKind { return this.kinds[Math.floor(addr / 4096)]; }
  read8(addr: number): number {
    const p = Math.floor(addr / 4096);
    const k = this.kinds[p];
    if (k === PhysKind.Ram || k === PhysKind.Rom) return this.mem[this.offsets[p] + (addr % 4096)];
    if (k === PhysKind.Mmio) return this.router!.mmioRead(addr, 1);
    return 0xff;
  }
  write8(addr: number, v: number): void {
    const p = Math.floor(addr / 4096);
    const k = this.kinds[p];
    if (k === PhysKind.Ram) this.mem[this.offsets[p] + (addr % 4096)] = v;
    else if (k === PhysKind.Mmio) this.router!.mmioWrite(addr, 1, v);
  }
}

function setup(biosSize = 0x40000) {
  const layout = computeLayout(16, 1, 2);
  const mem = new Uint8Array(layout.totalBytes);
  const core = new FakeCore(mem);
  const map = new MemoryMap(core, layout, mem);
  const router = new IoRouter({
    ram: map.ramView(),
    mmioFallbackRead: (a, s) => map.fallbackRead(a, s),
    mmioFallbackWrite: (a, s, v) => map.fallbackWrite(a, s, v),
    onMmioLayoutChanged: () => map.setMmioRanges(router.mmioRanges()),
  });
  core.router = router;
  const bios = new Uint8Array(biosSize);
  for (let i = 0; i < biosSize; i++) bios[i] = (i >> 12) ^ 0x5a; // page-distinct pattern
  bios[biosSize - 16] = 0xea; // the reset vector's far jump
  map.loadBios(bios);
  return { layout, mem, core, map, router, bios };
}

describe('MemoryMap', () => {
  it('maps RAM, the VGA window, the BIOS at 0xE0000 and below 4 GiB, and the PCI hole', () => {
    const { core, map, router, bios, layout } = setup();
    router.build();
    map.mapAll();
    expect(core.kind(0)).toBe(PhysKind.Ram);
    expect(core.kind(0x9f000)).toBe(PhysKind.Ram);
    expect(core.kind(0xa0000)).toBe(PhysKind.Unmapped);
    expect(core.read8(0xb8000)).toBe(0xff);
    expect(core.kind(0x100000)).toBe(PhysKind.Ram);
    expect(core.kind(layout.ramSize - 1)).toBe(PhysKind.Ram);
    expect(core.kind(layout.ramSize)).toBe(PhysKind.Unmapped);
    // Reset vector: both aliases show the last 16 bytes of the image.
    expect(core.read8(0xfffffff0)).toBe(0xea);
    expect(core.read8(0xffff0)).toBe(0xea);
    // 0xE0000 shows the top 128 KiB; below 4 GiB the whole image.
    expect(core.read8(0xe0000)).toBe(bios[0x20000]);
    expect(core.read8(0x100000000 - 0x40000)).toBe(bios[0]);
    expect(core.kind(0x100000000 - 0x40000 - 1)).toBe(PhysKind.Unmapped);
    // Option-ROM space with PAM off: read-only zeros ("pc.rom").
    expect(core.kind(0xc0000)).toBe(PhysKind.Rom);
    expect(core.read8(0xc0000)).toBe(0);
    core.write8(0xc0000, 0x12);
    expect(core.read8(0xc0000)).toBe(0);
  });

  it('toggles the 0xF0000 segment between ROM and shadow RAM with PAM0', () => {
    const { core, map, router, bios } = setup();
    router.build();
    map.mapAll();
    const romByte = bios[0x30000 + 0x100];
    expect(core.read8(0xf0100)).toBe(romByte);
    // 0x30: read/write DRAM (what SeaBIOS sets before copying itself).
    map.setPam(0, 0x30);
    expect(core.kind(0xf0000)).toBe(PhysKind.Ram);
    expect(core.read8(0xf0100)).toBe(0); // empty shadow RAM
    for (let a = 0xf0000; a < 0xf0200; a++) core.write8(a, core.read8(0xfffc0000 + 0x30000 + (a - 0xf0000)));
    expect(core.read8(0xf0100)).toBe(romByte);
    core.write8(0xf0100, 0x77);
    expect(core.read8(0xf0100)).toBe(0x77);
    // 0x10: read-only DRAM: writes are dropped.
    map.setPam(0, 0x10);
    expect(core.kind(0xf0000)).toBe(PhysKind.Rom);
    core.write8(0xf0100, 0x99);
    expect(core.read8(0xf0100)).toBe(0x77);
    // 0x00: back to ROM; the shadow RAM keeps its contents.
    map.setPam(0, 0x00);
    expect(core.read8(0xf0100)).toBe(romByte);
    map.setPam(0, 0x30);
    expect(core.read8(0xf0100)).toBe(0x77);
    expect(map.pam(0)).toBe(0x30);
  });

  it('serves write-only segments (reads ROM, writes RAM) through MMIO and keeps 16 KiB granularity', () => {
    const { core, map, router } = setup();
    router.build();
    map.mapAll();
    // PAM1 high nibble = 0xC4000-0xC7FFF; attribute 2 = write-only.
    map.setPam(1, 0x20);
    expect(core.kind(0xc0000)).toBe(PhysKind.Rom);
    expect(core.kind(0xc4000)).toBe(PhysKind.Mmio);
    expect(core.kind(0xc8000)).toBe(PhysKind.Rom);
    core.write8(0xc4010, 0xab);
    expect(core.read8(0xc4010)).toBe(0); // reads still come from (zeroed) pc.rom
    map.setPam(1, 0x30);
    expect(core.read8(0xc4010)).toBe(0xab); // the write went to shadow RAM
    expect(core.kind(0xc0000)).toBe(PhysKind.Rom);
    expect(router.unhandledMmio.size).toBe(0);
  });

  it('applies PAM segments as the i440FX model reports them', () => {
    const { core, map, router } = setup();
    router.build();
    map.mapAll();
    map.applyPamSegments([{ base: 0xe0000, size: 0x4000, readRam: true, writeRam: true }, { base: 0xf0000, size: 0x10000, readRam: true, writeRam: false }]);
    expect(core.kind(0xe0000)).toBe(PhysKind.Ram);
    expect(core.kind(0xe4000)).toBe(PhysKind.Rom);
    expect(core.kind(0xf0000)).toBe(PhysKind.Rom);
    expect(map.pam(5)).toBe(0x03);
    expect(map.pam(0)).toBe(0x10);
    expect(() => map.applyPamSegments([{ base: 0xe1000, size: 0x1000, readRam: true, writeRam: true }])).toThrow(/no PAM segment/);
  });

  it('marks pages of mapped BARs as MMIO in the PCI hole only, and the VGA window when claimed', () => {
    const { core, map, router } = setup();
    router.addDevice('vga', {
      mmioRead: (region, off) => (region === 0 ? 0x11 : off & 0xff),
    }, {
      ports: [], mmio: [{ name: 'legacy', base: 0xa0000, length: 0x20000 }], irqs: [],
      pci: { vendorId: 0x1234, deviceId: 0x1111, classCode: 0x030000, bars: [{ index: 0, kind: 'mem32-prefetch', size: 0x1000000 }] },
    });
    router.build();
    map.mapAll();
    expect(core.kind(0xa0000)).toBe(PhysKind.Mmio);
    expect(core.read8(0xb8000)).toBe(0x11);
    router.mapBar('vga', 0, 0xfd000000, true);
    expect(core.kind(0xfd000000)).toBe(PhysKind.Mmio);
    expect(core.kind(0xfdfff000)).toBe(PhysKind.Mmio);
    expect(core.kind(0xfe000000)).toBe(PhysKind.Unmapped);
    expect(core.read8(0xfd000042)).toBe(0x42);
    router.mapBar('vga', 0, 0xe0000000, true);
    expect(core.kind(0xfd000000)).toBe(PhysKind.Unmapped);
    expect(core.kind(0xe0000000)).toBe(PhysKind.Mmio);
    // A BAR over RAM is not visible: RAM wins below the top of memory.
    router.mapBar('vga', 0, 0x00000000, true);
    expect(core.kind(0)).toBe(PhysKind.Ram);
  });

  it('rejects bad BIOS sizes and forwards A20', () => {
    const { map, core } = setup();
    expect(() => map.loadBios(new Uint8Array(1000))).toThrow(/multiple of 64 KiB/);
    map.setA20(false);
    expect(map.a20).toBe(false);
    expect(core.a20).toEqual([false]);
  });

  it('maps a 128 KiB BIOS whole at 0xE0000', () => {
    const { core, map, router, bios } = setup(0x20000);
    router.build();
    map.mapAll();
    expect(core.read8(0xe0000)).toBe(bios[0]);
    expect(core.read8(0xfffe0000)).toBe(bios[0]);
    expect(core.kind(0xfffdf000)).toBe(PhysKind.Unmapped);
  });
});
