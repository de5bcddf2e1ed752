/**
 * The I/O router: the machine's bus for x86 port I/O (64 K ports) and memory-mapped I/O.
 *
 * Built once, at machine build time, from the resources each registry entry declares (devices
 * never register their own ports). Ports decode through a flat 64 K table of region indices;
 * MMIO through a short list of mapped ranges (a handful per machine) with a one-entry cache.
 * PCI BARs are added unmapped and placed at run time when the PCI bus reports a BAR change.
 *
 * Access sizes follow QEMU's MemoryRegionOps `.impl` idea (docs/machine.md, "Access sizes"):
 * a region declares the widths it implements; wider accesses are split into halves
 * (little-endian, consecutive offsets, each half decoded again so an access that runs past a
 * region's end reaches the neighbouring port), narrower reads are served from an aligned wider
 * read, narrower writes are dropped and reported as a guest error.
 *
 * Unclaimed ports and MMIO read as all-ones (open bus) and writes are dropped; both are
 * counted per address and reported through the `onUnhandled` hook.
 *
 * It implements CpuHost (src/machine/cpu-api.ts) for the CPU core.
 */
import type { AccessSize, DeviceModel, Resources } from '../devices/api.js';
import type { CpuHost } from './cpu-api.js';

/** Per-device access statistics. */
export interface DeviceIoStats {
  reads: number;
  writes: number;
  /** Bytes moved by string I/O (`rep ins/outs`). */
  bulkBytes: number;
}

/** An access nobody claimed. */
export interface UnhandledAccess {
  kind: 'port-read' | 'port-write' | 'mmio-read' | 'mmio-write';
  addr: number;
  size: AccessSize;
  /** Value written (writes only). */
  value?: number;
  /** Why it was not delivered (no device, or a width the device does not implement). */
  reason: 'unclaimed' | 'width';
  /** The device, when the reason is 'width'. */
  device?: string;
}

/** One device as the bus sees it. */
export interface BusDevice {
  /** Instance name, unique in the machine (e.g. `isa-serial.0`). */
  readonly id: string;
  readonly model: DeviceModel;
  readonly resources: Resources;
  readonly stats: DeviceIoStats;
  /** Reads from this device observe time (PIT, RTC): the router reports them (onTimeAccess). */
  timeSource: boolean;
}

/** One register window of a device: a fixed range, or a PCI BAR placed at run time. */
interface Region {
  dev: BusDevice;
  space: 'port' | 'mmio';
  /** Region index as the device sees it (ioRead/mmioRead `region`). */
  index: number;
  name: string;
  base: number;
  length: number;
  /** Bit mask of implemented widths: 1, 2, 4. */
  sizes: number;
  /** Smallest implemented width. */
  minSize: AccessSize;
  mapped: boolean;
  /** Fixed ranges come from the declared resources; they win over BARs on conflicts. */
  fixed: boolean;
}

export interface IoRouterOptions {
  /** View of guest RAM (physical 0 .. ramSize-1), for string I/O. */
  ram: Uint8Array;
  /** Called for every unclaimed or width-refused access (the machine rate-limits its events). */
  onUnhandled?: (access: UnhandledAccess) => void;
  /** Called when a BAR mapping conflicts with another mapping (the older mapping keeps the addresses). */
  onConflict?: (message: string) => void;
  /**
   * Called on a port access to a device marked `timeSource`. The machine ends the CPU slice
   * there, because the core refreshes its TSC from virtual time only at slice starts: a guest
   * that starts the PIT, reads the TSC and polls the PIT must see the TSC move with time
   * (SeaBIOS calibrates the TSC that way).
   */
  onTimeAccess?: () => void;
  /** Called after MMIO mappings change (the memory map re-marks pages). */
  onMmioLayoutChanged?: () => void;
  /**
   * MMIO accesses that no device claims go here before being treated as open bus (the memory
   * map serves PAM write-only segments this way). Return undefined / false when not handled.
   */
  mmioFallbackRead?: (addr: number, size: AccessSize) => number | undefined;
  mmioFallbackWrite?: (addr: number, size: AccessSize, value: number) => boolean;
}

const ONES = [0, 0xff, 0xffff, 0, 0xffffffff];

function sizeMask(sizes: AccessSize[] | undefined): number {
  if (!sizes || sizes.length === 0) return 1 | 2 | 4;
  let m = 0;
  for (const s of sizes) {
    if (s !== 1 && s !== 2 && s !== 4) throw new Error(`invalid access size ${s}`);
    m |= s;
  }
  return m;
}

function hex(n: number, width = 4): string {
  return '0x' + (n >>> 0).toString(16).padStart(width, '0');
}

function describe(r: Region): string {
  const unit = r.space === 'port' ? 'ports' : 'MMIO';
  const w = r.space === 'port' ? 4 : 8;
  return `'${r.dev.id}' ${unit} ${hex(r.base, w)}-${hex(r.base + r.length - 1, w)} (${r.name})`;
}

export class IoRouter implements CpuHost {
  private ram: Uint8Array;
  /** Write taps (trace ports): flag per port, callback by port. */
  private readonly tapFlags = new Uint8Array(65536);
  private readonly taps = new Map<number, ((size: AccessSize, value: number) => void)[]>();
  private readonly devices = new Map<string, BusDevice>();
  private readonly portRegions: Region[] = [];
  private readonly mmioRegions: Region[] = [];
  /** Per port: index into portRegions + 1, 0 = unclaimed. */
  private readonly portTable = new Uint16Array(65536);
  /** Mapped MMIO regions, fixed ones first (they win on conflicts), then in mapping order. */
  private mmioMapped: Region[] = [];
  private mmioLast: Region | undefined;
  /** Per-port counts of unclaimed accesses. */
  readonly unhandledPortReads = new Uint32Array(65536);
  readonly unhandledPortWrites = new Uint32Array(65536);
  /** Unclaimed MMIO accesses, per 4 KiB page. */
  readonly unhandledMmio = new Map<number, { reads: number; writes: number }>();
  /** The FPU's FERR# output (legacy x87 error reporting); set by the platform (IRQ 13). */
  onFerr: ((level: boolean) => void) | undefined;
  /** The PIC's INTA cycle; set by the machine once the interrupt controller exists. */
  acknowledge: () => number = () => 0xff;
  private built = false;

  constructor(private readonly opts: IoRouterOptions) {
    this.ram = opts.ram;
  }

  /** Replace the RAM view (the machine creates the router before the memory exists). */
  setRam(ram: Uint8Array): void {
    this.ram = ram;
  }

  /**
   * Observe every write to `port` (claimed or not), before it is delivered: `--trace-port`
   * and the POST-code display use this.
   */
  tapPortWrites(port: number, tap: (size: AccessSize, value: number) => void): void {
    const list = this.taps.get(port & 0xffff);
    if (list) list.push(tap);
    else this.taps.set(port & 0xffff, [tap]);
    this.tapFlags[port & 0xffff] = 1;
  }

  private runTaps(port: number, size: AccessSize, value: number): void {
    for (const tap of this.taps.get(port)!) tap(size, value);
  }

  // ---- build time ----------------------------------------------------------------------

  /**
   * Add a device with its declared resources. Fixed port and MMIO ranges are claimed now
   * (overlaps throw an error naming both devices); PCI BARs are added unmapped.
   */
  addDevice(id: string, model: DeviceModel, resources: Resources): BusDevice {
    // After build only devices without fixed ranges (PCI functions, BARs unmapped) can be
    // added: PCI hot-plug (docs/qmp.md, device_add).
    if (this.built && (resources.ports.length > 0 || resources.mmio.length > 0)) {
      throw new Error(`I/O router: cannot add '${id}' with fixed ranges after the machine is built`);
    }
    if (this.devices.has(id)) throw new Error(`I/O router: duplicate device id '${id}'`);
    const dev: BusDevice = { id, model, resources, stats: { reads: 0, writes: 0, bulkBytes: 0 }, timeSource: false };
    this.devices.set(id, dev);
    resources.ports.forEach((p, i) => {
      this.addRegion(dev, 'port', i, p.name, p.base, p.length, p.accessSizes, true);
    });
    resources.mmio.forEach((m, i) => {
      this.addRegion(dev, 'mmio', i, m.name, m.base, m.length, m.accessSizes, true);
    });
    if (resources.pci) {
      let io = resources.ports.length;
      let mem = resources.mmio.length;
      for (const bar of resources.pci.bars) {
        if (bar.kind === 'io') this.addRegion(dev, 'port', io++, `BAR${bar.index}`, 0, bar.size, undefined, false);
        else this.addRegion(dev, 'mmio', mem++, `BAR${bar.index}`, 0, bar.size, undefined, false);
      }
    }
    return dev;
  }

  private addRegion(
    dev: BusDevice, space: 'port' | 'mmio', index: number, name: string, base: number, length: number,
    sizes: AccessSize[] | undefined, fixed: boolean,
  ): void {
    if (!Number.isInteger(length) || length <= 0) throw new Error(`'${dev.id}' ${name}: invalid length ${length}`);
    const limit = space === 'port' ? 0x10000 : 0x1_0000_0000;
    if (fixed && (!Number.isInteger(base) || base < 0 || base + length > limit)) {
      throw new Error(`'${dev.id}' ${name}: range ${hex(base)}+${length} is outside the ${space} space`);
    }
    const mask = sizeMask(sizes);
    const minSize = (mask & 1 ? 1 : mask & 2 ? 2 : 4) as AccessSize;
    const r: Region = { dev, space, index, name, base, length, sizes: mask, minSize, mapped: fixed, fixed };
    const list = space === 'port' ? this.portRegions : this.mmioRegions;
    if (fixed) {
      for (const o of list) {
        if (o.fixed && o.base < base + length && base < o.base + o.length) {
          throw new Error(`I/O router: ${describe(r)} overlaps ${describe(o)}`);
        }
      }
    }
    list.push(r);
    if (space === 'port' && list.length >= 0xffff) throw new Error('I/O router: too many port regions');
  }

  /** Finish building: fill the decode tables. No devices can be added afterwards. */
  build(): void {
    this.built = true;
    this.rebuildPorts(0, 0x10000);
    this.rebuildMmio();
  }

  device(id: string): BusDevice | undefined {
    return this.devices.get(id);
  }

  /**
   * Remove a device added without fixed ranges (PCI hot-unplug): its BAR mappings go away and
   * accesses there become unclaimed.
   */
  removeDevice(id: string): void {
    const dev = this.devices.get(id);
    if (!dev) return;
    const all = [...this.portRegions, ...this.mmioRegions].filter((r) => r.dev === dev);
    if (all.some((r) => r.fixed)) throw new Error(`I/O router: '${id}' has fixed ranges and cannot be removed`);
    this.devices.delete(id);
    // The regions stay in the lists (the port table holds indices into them), unmapped for good.
    for (const r of all) {
      if (!r.mapped) continue;
      r.mapped = false;
      if (r.space === 'port') this.rebuildPorts(r.base, r.base + r.length);
    }
    this.rebuildMmio();
  }

  allDevices(): BusDevice[] {
    return [...this.devices.values()];
  }

  // ---- run time: PCI BARs -------------------------------------------------------------

  /**
   * Place (or unmap, when !enabled) BAR `barIndex` of device `id` at `base`. Called when the
   * PCI bus reports a BAR or command-register change. Conflicts with an existing mapping are
   * reported through onConflict and resolved in favour of the older mapping.
   */
  mapBar(id: string, barIndex: number, base: number, enabled: boolean): void {
    const dev = this.devices.get(id);
    const bars = dev?.resources.pci?.bars;
    if (!dev || !bars) throw new Error(`I/O router: '${id}' is not a PCI device`);
    const bar = bars.find((b) => b.index === barIndex);
    if (!bar) throw new Error(`I/O router: '${id}' has no BAR${barIndex}`);
    const space = bar.kind === 'io' ? 'port' : 'mmio';
    const region = (space === 'port' ? this.portRegions : this.mmioRegions).find(
      (r) => r.dev === dev && !r.fixed && r.name === `BAR${barIndex}`,
    )!;
    const limit = space === 'port' ? 0x10000 : 0x1_0000_0000;
    const on = enabled && base >= 0 && base + region.length <= limit;
    if (region.mapped === on && region.base === base) return;
    const oldBase = region.base;
    const wasMapped = region.mapped;
    region.mapped = false;
    if (space === 'port' && wasMapped) this.rebuildPorts(oldBase, oldBase + region.length);
    region.base = on ? base : region.base;
    region.mapped = on;
    if (on) {
      const list = space === 'port' ? this.portRegions : this.mmioRegions;
      for (const o of list) {
        if (o !== region && o.mapped && o.base < base + region.length && base < o.base + o.length) {
          this.opts.onConflict?.(`I/O router: ${describe(region)} conflicts with ${describe(o)}`);
        }
      }
    }
    if (space === 'port') {
      if (on) this.rebuildPorts(base, base + region.length);
    } else {
      if (!on) this.mmioMapped = this.mmioMapped.filter((r) => r !== region);
      else if (!this.mmioMapped.includes(region)) this.mmioMapped.push(region);
      this.mmioLast = undefined;
      this.opts.onMmioLayoutChanged?.();
    }
  }

  /** The mapped MMIO ranges (for the memory map's page marking and for reports). */
  mmioRanges(): { base: number; length: number; device: string; name: string }[] {
    return this.mmioMapped.map((r) => ({ base: r.base, length: r.length, device: r.dev.id, name: r.name }));
  }

  /** Port ranges currently decoded (for reports). */
  portRanges(): { base: number; length: number; device: string; name: string }[] {
    return this.portRegions.filter((r) => r.mapped).map((r) => ({ base: r.base, length: r.length, device: r.dev.id, name: r.name }));
  }

  private rebuildPorts(from: number, to: number): void {
    // Fixed regions first, then BARs in list order: the first claimant of a port keeps it.
    this.portTable.fill(0, from, to);
    const order = [...this.portRegions.keys()].sort((a, b) => Number(this.portRegions[b].fixed) - Number(this.portRegions[a].fixed));
    for (const i of order) {
      const r = this.portRegions[i];
      if (!r.mapped) continue;
      const lo = Math.max(from, r.base);
      const hi = Math.min(to, r.base + r.length);
      for (let p = lo; p < hi; p++) if (this.portTable[p] === 0) this.portTable[p] = i + 1;
    }
  }

  private rebuildMmio(): void {
    this.mmioMapped = this.mmioRegions.filter((r) => r.mapped);
    this.mmioLast = undefined;
    this.opts.onMmioLayoutChanged?.();
  }

  // ---- port I/O -----------------------------------------------------------------------

  portRead(port: number, size: AccessSize): number {
    port &= 0xffff;
    const slot = this.portTable[port];
    if (slot === 0) return this.unclaimedPortRead(port, size);
    const r = this.portRegions[slot - 1];
    const off = port - r.base;
    if ((r.sizes & size) !== 0 && off + size <= r.length) {
      r.dev.stats.reads++;
      if (r.dev.timeSource) this.opts.onTimeAccess?.();
      const m = r.dev.model;
      return m.ioRead ? (m.ioRead(r.index, off, size) & ONES[size]) >>> 0 : ONES[size];
    }
    return this.adjustedRead(r, port, size, true);
  }

  portWrite(port: number, size: AccessSize, value: number): void {
    port &= 0xffff;
    if (this.tapFlags[port] !== 0) this.runTaps(port, size, (value & ONES[size]) >>> 0);
    this.dispatchPortWrite(port, size, value);
  }

  private dispatchPortWrite(port: number, size: AccessSize, value: number): void {
    const slot = this.portTable[port];
    if (slot === 0) {
      this.unclaimedPortWrite(port, size, value);
      return;
    }
    const r = this.portRegions[slot - 1];
    const off = port - r.base;
    if ((r.sizes & size) !== 0 && off + size <= r.length) {
      r.dev.stats.writes++;
      if (r.dev.timeSource) this.opts.onTimeAccess?.();
      r.dev.model.ioWrite?.(r.index, off, size, (value & ONES[size]) >>> 0);
      return;
    }
    this.adjustedWrite(r, port, size, value, true);
  }

  private unclaimedPortRead(port: number, size: AccessSize): number {
    if (size > 1 && this.anyClaimed(port, size)) return this.splitRead(port, size, true);
    this.unhandledPortReads[port]++;
    this.opts.onUnhandled?.({ kind: 'port-read', addr: port, size, reason: 'unclaimed' });
    return ONES[size];
  }

  private unclaimedPortWrite(port: number, size: AccessSize, value: number): void {
    if (size > 1 && this.anyClaimed(port, size)) {
      this.splitWrite(port, size, value, true);
      return;
    }
    this.unhandledPortWrites[port]++;
    this.opts.onUnhandled?.({ kind: 'port-write', addr: port, size, value: value >>> 0, reason: 'unclaimed' });
  }

  /** Whether any byte of a multi-byte port access after the first is claimed. */
  private anyClaimed(port: number, size: number): boolean {
    for (let i = 1; i < size; i++) if (this.portTable[(port + i) & 0xffff] !== 0) return true;
    return false;
  }

  // ---- MMIO ---------------------------------------------------------------------------

  private findMmio(addr: number): Region | undefined {
    const last = this.mmioLast;
    if (last && addr >= last.base && addr < last.base + last.length) return last;
    for (const r of this.mmioMapped) {
      if (addr >= r.base && addr < r.base + r.length) {
        this.mmioLast = r;
        return r;
      }
    }
    return undefined;
  }

  mmioRead(physAddr: number, size: AccessSize): number {
    const addr = physAddr >>> 0;
    const r = this.findMmio(addr);
    if (!r) {
      if (size > 1 && this.findMmio(addr + size - 1)) return this.splitRead(addr, size, false);
      const v = this.opts.mmioFallbackRead?.(addr, size);
      if (v !== undefined) return v >>> 0;
      this.countMmio(addr, false);
      this.opts.onUnhandled?.({ kind: 'mmio-read', addr, size, reason: 'unclaimed' });
      return ONES[size];
    }
    const off = addr - r.base;
    if ((r.sizes & size) !== 0 && off + size <= r.length) {
      r.dev.stats.reads++;
      const m = r.dev.model;
      return m.mmioRead ? (m.mmioRead(r.index, off, size) & ONES[size]) >>> 0 : ONES[size];
    }
    return this.adjustedRead(r, addr, size, false);
  }

  mmioWrite(physAddr: number, size: AccessSize, value: number): void {
    const addr = physAddr >>> 0;
    const r = this.findMmio(addr);
    if (!r) {
      if (size > 1 && this.findMmio(addr + size - 1)) {
        this.splitWrite(addr, size, value, false);
        return;
      }
      if (this.opts.mmioFallbackWrite?.(addr, size, value)) return;
      this.countMmio(addr, true);
      this.opts.onUnhandled?.({ kind: 'mmio-write', addr, size, value: value >>> 0, reason: 'unclaimed' });
      return;
    }
    const off = addr - r.base;
    if ((r.sizes & size) !== 0 && off + size <= r.length) {
      r.dev.stats.writes++;
      r.dev.model.mmioWrite?.(r.index, off, size, (value & ONES[size]) >>> 0);
      return;
    }
    this.adjustedWrite(r, addr, size, value, false);
  }

  private countMmio(addr: number, write: boolean): void {
    const page = Math.floor(addr / 4096) * 4096;
    let c = this.unhandledMmio.get(page);
    if (!c) this.unhandledMmio.set(page, (c = { reads: 0, writes: 0 }));
    if (write) c.writes++;
    else c.reads++;
  }

  // ---- access-size adjustment ------------------------------------------------------------

  private readAt(addr: number, size: AccessSize, port: boolean): number {
    return port ? this.portRead(addr, size) : this.mmioRead(addr, size);
  }

  private writeAt(addr: number, size: AccessSize, value: number, port: boolean): void {
    if (port) this.dispatchPortWrite(addr & 0xffff, size, value);
    else this.mmioWrite(addr, size, value);
  }

  /** Two half-width accesses, low half first, each decoded again. */
  private splitRead(addr: number, size: AccessSize, port: boolean): number {
    const half = (size >> 1) as AccessSize;
    const lo = this.readAt(addr, half, port);
    const hi = this.readAt(port ? (addr + half) & 0xffff : addr + half, half, port);
    return (lo | (hi << (half * 8))) >>> 0;
  }

  private splitWrite(addr: number, size: AccessSize, value: number, port: boolean): void {
    const half = (size >> 1) as AccessSize;
    this.writeAt(addr, half, value & ONES[half], port);
    this.writeAt(port ? (addr + half) & 0xffff : addr + half, half, (value >>> (half * 8)) & ONES[half], port);
  }

  /** Whether an access the region cannot take whole must be split into halves. */
  private mustSplit(r: Region, addr: number, size: AccessSize): boolean {
    const off = addr - r.base;
    if (off + size > r.length || size > r.minSize) return true;
    return (off % r.minSize) + size > r.minSize; // narrower, but straddles two wide registers
  }

  private adjustedRead(r: Region, addr: number, size: AccessSize, port: boolean): number {
    if (size > 1 && this.mustSplit(r, addr, size)) return this.splitRead(addr, size, port);
    // Narrower than the device implements: read the aligned wider register and extract.
    const w = r.minSize;
    const off = addr - r.base;
    const aligned = off - (off % w);
    if (aligned + w > r.length) return ONES[size];
    r.dev.stats.reads++;
    if (port && r.dev.timeSource) this.opts.onTimeAccess?.();
    const m = r.dev.model;
    const whole = port ? (m.ioRead ? m.ioRead(r.index, aligned, w) : ONES[w]) : (m.mmioRead ? m.mmioRead(r.index, aligned, w) : ONES[w]);
    return ((whole >>> ((off - aligned) * 8)) & ONES[size]) >>> 0;
  }

  private adjustedWrite(r: Region, addr: number, size: AccessSize, value: number, port: boolean): void {
    if (size > 1 && this.mustSplit(r, addr, size)) {
      this.splitWrite(addr, size, value, port);
      return;
    }
    this.opts.onUnhandled?.({
      kind: port ? 'port-write' : 'mmio-write', addr, size, value: value >>> 0, reason: 'width', device: r.dev.id,
    });
  }

  // ---- string I/O ---------------------------------------------------------------------

  /**
   * `rep ins`: `count` items of `size` bytes from `port` into guest RAM at `physAddr`. Uses the
   * device's ioReadString when it has one, else repeated reads. Items that would fall outside
   * RAM are not moved; returns the number of items moved.
   */
  portReadString(port: number, size: AccessSize, count: number, physAddr: number): number {
    const n = this.fitInRam(physAddr, size, count);
    if (n === 0) return 0;
    const into = this.ram.subarray(physAddr, physAddr + n * size);
    port &= 0xffff;
    const r = this.directRegion(port, size);
    if (r && r.dev.model.ioReadString) {
      r.dev.stats.reads++;
      r.dev.stats.bulkBytes += into.length;
      r.dev.model.ioReadString(r.index, port - r.base, size, into);
      return n;
    }
    for (let i = 0, o = 0; i < n; i++, o += size) {
      const v = this.portRead(port, size);
      into[o] = v;
      if (size > 1) into[o + 1] = v >>> 8;
      if (size > 2) {
        into[o + 2] = v >>> 16;
        into[o + 3] = v >>> 24;
      }
    }
    if (r) r.dev.stats.bulkBytes += into.length;
    return n;
  }

  /** `rep outs`: `count` items of `size` bytes from guest RAM at `physAddr` to `port`. */
  portWriteString(port: number, size: AccessSize, count: number, physAddr: number): number {
    const n = this.fitInRam(physAddr, size, count);
    if (n === 0) return 0;
    const from = this.ram.subarray(physAddr, physAddr + n * size);
    port &= 0xffff;
    const r = this.directRegion(port, size);
    if (r && r.dev.model.ioWriteString) {
      if (this.tapFlags[port] !== 0) this.tapString(port, size, from);
      r.dev.stats.writes++;
      r.dev.stats.bulkBytes += from.length;
      // A copy: the device must never see guest RAM change under it.
      r.dev.model.ioWriteString(r.index, port - r.base, size, from.slice());
      return n;
    }
    for (let i = 0, o = 0; i < n; i++, o += size) {
      let v = from[o];
      if (size > 1) v |= from[o + 1] << 8;
      if (size > 2) v |= (from[o + 2] << 16) | (from[o + 3] << 24);
      this.portWrite(port, size, v >>> 0);
    }
    if (r) r.dev.stats.bulkBytes += from.length;
    return n;
  }

  private tapString(port: number, size: AccessSize, from: Uint8Array): void {
    for (let o = 0; o + size <= from.length; o += size) {
      let v = from[o];
      if (size > 1) v |= from[o + 1] << 8;
      if (size > 2) v |= (from[o + 2] << 16) | (from[o + 3] << 24);
      this.runTaps(port, size, v >>> 0);
    }
  }

  /** The region that takes a `size`-byte access at `port` whole, if any. */
  private directRegion(port: number, size: AccessSize): Region | undefined {
    const slot = this.portTable[port];
    if (slot === 0) return undefined;
    const r = this.portRegions[slot - 1];
    return (r.sizes & size) !== 0 && port - r.base + size <= r.length ? r : undefined;
  }

  private fitInRam(physAddr: number, size: number, count: number): number {
    if (!(count > 0) || physAddr < 0 || physAddr >= this.ram.length) return 0;
    return Math.min(count, Math.floor((this.ram.length - physAddr) / size));
  }

  // ---- interrupts ---------------------------------------------------------------------

  interruptAcknowledge(): number {
    return this.acknowledge();
  }

  ferr(level: boolean): void {
    this.onFerr?.(level);
  }
}
