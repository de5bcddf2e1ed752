/**
 * Platform wiring of the i440FX PC: what connects the chipset models to each other, to the CPU
 * core and to the memory map, beyond their register interfaces (QEMU hw/i386/pc_piix.c is the
 * reference for what goes where):
 *
 * - IRQs: a device's host.irq(n) is ISA line resources.irqs[n] for n < irqs.length, then its
 *   PCI INTx pin (through the PCI bus's PIIX3 PIRQ routing). Lines are wired-OR per ISA input
 *   of the 8259 pair; the PIC's INTR output drives CpuCoreApi.setIntr and the INTA cycle
 *   answers CpuHost.interruptAcknowledge.
 * - PCI: the i440FX host bridge owns bus 0 (00:00.0); the PIIX3 goes to 00:01.0, piix3-ide to
 *   00:01.1, a display device to 00:02.0, other PCI devices to 00:03.0 onwards. BAR decode
 *   changes remap the I/O router and are passed to the device's pciBarChanged.
 * - PAM changes from the host bridge drive the memory map's shadowing.
 * - CMOS: filled as QEMU's pc_cmos_init (chipset cmos-layout.ts) after the RTC is created.
 * - fw_cfg content (FwCfgConfig, chipset fw-cfg-items.ts) goes to the fw_cfg device as its backend.
 * - Platform signals (A20, reset) from port 0x92, the i8042 and 0xCF9 reach the memory map and
 *   the machine's reset.
 * - Port 0x80 writes (POST diagnostic code) are tapped for reports; traced ports
 *   (`--trace-port`) are tapped on the router and reported as console output.
 */
import type { DeviceType, IrqLine, IsaDma, PlatformSignals, Resources } from '../devices/api.js';
import {
  asCmosAccess, asInterruptController, asPciHostBridge, type ByteSink, type InterruptController, type PciHostBridge,
} from '../devices/chipset/interfaces.js';
import { fillPcCmos, type FloppyDriveType as FloppyType } from '../devices/chipset/cmos-layout.js';
import type { PciBus } from '../devices/chipset/pci/bus.js';
import { findDeviceType } from '../devices/registry.js';
import { ideCmosGeometries, type IdeBackends } from '../devices/storage/ide/piix3-ide.js';
import { fdcCmosFloppies, type FdcBackends } from '../devices/storage/fdc/isa-fdc.js';
import type { PciFunction } from '../devices/chipset/pci/config-space.js';
import type { FwCfgConfig } from '../devices/chipset/fw-cfg-items.js';
import type { RtcTimeSource } from '../devices/chipset/rtc.js';
import { BOOT_LETTER } from './config.js';
import type { IoRouter } from './io-router.js';
import type { Machine, MachineDevice } from './machine.js';

/** Registry names of chipset parts the platform wires specially. */
const PIIX3 = 'PIIX3';
const DEBUGCON = 'isa-debugcon';
const FW_CFG = 'fw_cfg_io';
const RTC = 'mc146818rtc';

export class Platform {
  private pic: InterruptController | undefined;
  private bridge: PciHostBridge | undefined;
  private readonly isaLines = new Map<string, IrqLine>();
  /** The PCI bus's combined level per ISA IRQ, as one wired-OR source each. */
  private readonly pciIsaSources = new Map<number, IrqLine>();
  private readonly pciFunctions = new Map<string, PciFunction>();
  private nextSlot = 3;
  private dma: IsaDma | undefined;

  constructor(private readonly m: Machine) {}

  /** host.signals for device `id`. */
  signals(id: string): PlatformSignals {
    return {
      setA20: (enabled) => this.m.memoryMap.setA20(enabled),
      requestReset: (reason) => {
        this.m.log('info', id, `reset requested: ${reason}`);
        this.m.requestReset(reason);
      },
    };
  }

  /**
   * ISA DMA for devices with DMA channels: forwards to the 8237 model once wired (devices are
   * created before the platform is wired). Without a DMA controller nothing moves.
   */
  readonly isaDma: IsaDma = {
    transfer: (channel, data, toMemory) =>
      this.dma ? this.dma.transfer(channel, data, toMemory) : Promise.resolve({ moved: 0, tc: false }),
  };

  /** The backend a device gets when the configuration gives none. */
  defaultBackend(id: string, type: DeviceType): unknown {
    if (type.name === DEBUGCON) {
      const sink: ByteSink = { write: (bytes) => this.m.consoleOutput('debugcon', bytes.slice()) };
      return sink;
    }
    if (type.name === FW_CFG) return this.fwCfgConfig();
    if (type.name === RTC) {
      // The guest's clock starts at the host's wall-clock time (QEMU's default -rtc base=utc).
      const start = this.m.config.rtcStartEpochMs ?? this.m.host.hostNowMs?.();
      if (start === undefined || !Number.isFinite(start)) return undefined;
      const source: RtcTimeSource = { epochMs: () => start };
      return source;
    }
    void id;
    return undefined;
  }

  /**
   * What fw_cfg tells SeaBIOS: RAM size and e820 (the device's defaults from ramBytes), one
   * CPU, no boot menu, no reboot after "No bootable device.", and the VGA BIOS as
   * "pciVVVV,DDDD.rom" for each PCI display device (SeaBIOS prefers that file to the device's
   * ROM BAR: src/optionroms.c init_pcirom).
   */
  private fwCfgConfig(): FwCfgConfig {
    const cfg = this.m.config;
    const files: { name: string; data: Uint8Array }[] = [];
    for (const dc of cfg.devices ?? []) {
      const type = findDeviceType(dc.type);
      const pci = type?.resources(dc.props ?? {}).pci;
      if (type?.class === 'display' && pci && cfg.vgaBios) {
        const name = `pci${hex4(pci.vendorId)},${hex4(pci.deviceId)}.rom`;
        if (!files.some((f) => f.name === name)) files.push({ name, data: cfg.vgaBios });
      }
    }
    return { ramBytes: this.m.layout.ramSize, cpus: 1, bootMenu: false, bootFailWaitMs: -1, files };
  }

  /**
   * host.irq(n) of a device: ISA line resources.irqs[n] for n < irqs.length, then the PCI INTx
   * pin. A PCI function without an interrupt pin gets a line that goes nowhere (reported once).
   */
  irqLine(id: string, type: DeviceType, resources: Resources, n: number): IrqLine {
    const key = `${id}#${n}`;
    let line = this.isaLines.get(key);
    if (line) return line;
    if (n < resources.irqs.length) {
      line = this.m.irqs.isaLine(resources.irqs[n]);
    } else if (n === resources.irqs.length && resources.pci?.interruptPin) {
      const set = (level: boolean) => {
        const fn = this.pciFunctions.get(id);
        if (fn) this.bridge?.bus.setIntx(fn.devfn, level);
      };
      line = { set, raise: () => set(true), lower: () => set(false), pulse: () => { set(true); set(false); } };
    } else {
      let reported = false;
      const set = () => {
        if (reported) return;
        reported = true;
        this.m.log('warn', id, `${type.name} drove interrupt line ${n}, which is not wired (no such IRQ in its resources)`);
      };
      line = { set, raise: set, lower: () => {}, pulse: set };
    }
    this.isaLines.set(key, line);
    return line;
  }

  /**
   * Machine-internal decoders and taps: port 0x80 (POST diagnostic code; the DMA page-register
   * block usually claims it, so the code is observed with a tap), and the traced ports.
   */
  addInternalDevices(router: IoRouter): void {
    const claimed = router.allDevices().some((d) => d.resources.ports.some((p) => p.base <= 0x80 && 0x80 < p.base + p.length));
    if (!claimed) {
      router.addDevice('post-code', { ioRead: () => 0xff }, { ports: [{ name: 'post-code', base: 0x80, length: 1, accessSizes: [1] }], mmio: [], irqs: [] });
    }
    router.tapPortWrites(0x80, (_size, value) => this.m.setPostCode(value & 0xff));
    // FERR# → IRQ 13; a write to port 0xF0 clears the latched error (IBM AT, QEMU ioportF0).
    const irq13 = this.m.irqs.isaLine(13);
    router.onFerr = (level) => { if (level) irq13.raise(); };
    if (!router.allDevices().some((d) => d.resources.ports.some((p) => p.base <= 0xf0 && 0xf0 < p.base + p.length))) {
      router.addDevice('fpu-error', { ioRead: () => 0xff, ioWrite: () => irq13.lower() },
        { ports: [{ name: 'fpu-error', base: 0xf0, length: 1, accessSizes: [1] }], mmio: [], irqs: [] });
    }
    for (const port of this.m.config.tracePorts ?? []) {
      const source = `port:0x${port.toString(16)}`;
      router.tapPortWrites(port, (size, value) => {
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = (value >>> (8 * i)) & 0xff;
        this.m.consoleOutput(source, bytes);
      });
    }
  }

  /** Connect the chipset once every device exists and the bus tables are built. */
  wire(): void {
    const m = this.m;
    for (const d of m.devices) {
      this.pic ??= asInterruptController(d.model);
      this.bridge ??= asPciHostBridge(d.model);
      const dma = d.model as Partial<IsaDma>;
      if (d.type.class === 'chipset' && typeof dma.transfer === 'function') this.dma ??= d.model as unknown as IsaDma;
    }
    if (this.pic) {
      const pic = this.pic;
      pic.setOutputListener((level) => {
        m.core.setIntr(level);
        if (level) m.wake();
      });
      m.irqs.connect((line, level) => pic.setIrq(line, level));
      m.router.acknowledge = () => pic.acknowledge();
      m.core.setIntr(pic.hasInterrupt());
    } else {
      m.log('warn', 'platform', 'no interrupt controller in the registry: interrupts are not delivered');
    }
    if (this.bridge) this.wirePci(this.bridge);
    else m.log('warn', 'platform', 'no PCI host bridge in the registry: no PCI bus');
    for (const d of m.devices) {
      const cmos = asCmosAccess(d.model);
      if (cmos) {
        const cfg = m.config;
        fillPcCmos(cmos, {
          ramBytes: m.layout.ramSize,
          cpus: 1,
          hardDisks: this.hardDisks(),
          floppies: this.floppies(),
          bootOrder: (cfg.bootOrder ?? ['disk', 'cdrom', 'floppy']).slice(0, 3).map((b) => BOOT_LETTER[b]),
        });
      }
    }
  }

  /**
   * CMOS hard-disk entries (QEMU pc_cmos_init_late): the first piix3-ide's drives, computed from
   * its properties and block backends (known here when the backends are objects, i.e. in the
   * monolithic placement or when the host passes them; otherwise left empty — SeaBIOS finds the
   * disks through ATA IDENTIFY either way).
   */
  private hardDisks() {
    const ide = (this.m.config.devices ?? []).find((d) => d.type === 'piix3-ide');
    if (!ide || !ide.backend || typeof ide.backend !== 'object') return undefined;
    const type = findDeviceType('piix3-ide');
    const props = { ...Object.fromEntries(Object.entries(type?.properties ?? {}).map(([k, v]) => [k, v.default])), ...(ide.props ?? {}) };
    return ideCmosGeometries(props, ide.backend as IdeBackends);
  }

  /** CMOS floppy types (0x10) of the isa-fdc's drives, from its properties and backends. */
  private floppies(): [FloppyType?, FloppyType?] | undefined {
    const fdc = (this.m.config.devices ?? []).find((d) => d.type === 'isa-fdc');
    if (!fdc) return undefined;
    const type = findDeviceType('isa-fdc');
    const props = { ...Object.fromEntries(Object.entries(type?.properties ?? {}).map(([k, v]) => [k, v.default])), ...(fdc.props ?? {}) };
    const backends = fdc.backend && typeof fdc.backend === 'object' ? (fdc.backend as FdcBackends) : undefined;
    const [a, b] = fdcCmosFloppies(props, backends);
    return [a, b];
  }

  private wirePci(bridge: PciHostBridge): void {
    const m = this.m;
    const bus = bridge.bus;
    bridge.setPamListener((changed) => m.memoryMap.applyPamSegments(changed));
    bus.setBarListener((fn, mapping) => {
      const dev = this.deviceOfFunction(fn);
      if (!dev) return;
      try {
        if (mapping.kind !== 'rom') m.router.mapBar(dev.id, mapping.bar, mapping.base, mapping.enabled);
        dev.model.pciBarChanged?.(mapping.bar, mapping.base, mapping.enabled);
      } catch (e) {
        // A guest config write must never throw into the CPU core.
        m.log('error', dev.id, `BAR${mapping.bar} remap failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    for (const d of m.devices) {
      const pci = d.bus.resources.pci;
      if (!pci || d.model === (bridge as unknown)) continue;
      const devfn = this.devfnFor(d);
      const fn = bus.addFunction({ devfn, identity: pci, model: d.model, name: d.id });
      this.pciFunctions.set(d.id, fn);
    }
    const piix3 = m.devices.find((d) => d.type.name === PIIX3);
    const router = piix3?.model as unknown as Parameters<PciBus['setIntxRouting']>[0] | undefined;
    if (router && typeof router.pirqToIrq === 'function') {
      bus.setIntxRouting(router, (irq, level) => {
        let src = this.pciIsaSources.get(irq);
        if (!src) this.pciIsaSources.set(irq, (src = m.irqs.isaLine(irq)));
        src.set(level);
      });
    } else {
      m.log('warn', 'platform', 'no PIIX3 PIRQ router: PCI interrupts are not delivered');
    }
  }

  /**
   * PCI hot-plug: plug a device created after the machine was built into the next free slot
   * (from 00:03.0). The guest learns of it by rescanning the bus (Linux
   * /sys/bus/pci/rescan) or after a reset (SeaBIOS enumerates it): there is no hot-plug
   * controller to notify it (no ACPI, no SHPC). Returns the PCI address.
   */
  hotAddPci(d: MachineDevice): number {
    if (!this.bridge) throw new Error('no PCI bus');
    const pci = d.bus.resources.pci;
    if (!pci) throw new Error(`'${d.id}' is not a PCI device`);
    const devfn = this.devfnFor(d);
    this.pciFunctions.set(d.id, this.bridge.bus.addFunction({ devfn, identity: pci, model: d.model, name: d.id }));
    return devfn;
  }

  /** PCI hot-unplug: the function disappears from configuration space; its INTx is released. */
  hotRemovePci(id: string): void {
    const fn = this.pciFunctions.get(id);
    if (!fn || !this.bridge) return;
    this.bridge.bus.removeFunction(fn.devfn);
    this.pciFunctions.delete(id);
    this.isaLines.forEach((_l, key) => { if (key.startsWith(`${id}#`)) this.isaLines.delete(key); });
    if (fn.devfn >> 3 < this.nextSlot) this.nextSlot = Math.max(3, fn.devfn >> 3);
  }

  /** The PCI address (devfn) of a device, if it is on the bus. */
  devfnOf(id: string): number | undefined {
    return this.pciFunctions.get(id)?.devfn;
  }

  private deviceOfFunction(fn: PciFunction): MachineDevice | undefined {
    for (const [id, f] of this.pciFunctions) if (f === fn) return this.m.devices.find((d) => d.id === id);
    return undefined;
  }

  /** PCI address of a device: the PIIX3 functions at slot 1, display at slot 2, others from 3. */
  private devfnFor(d: MachineDevice): number {
    const bus = this.bridge!.bus;
    if (d.type.name === PIIX3) return 0x08;
    if (d.type.name === 'piix3-ide') return 0x09;
    if (d.type.class === 'display' && !bus.get(0x10)) return 0x10;
    while (bus.get(this.nextSlot << 3)) this.nextSlot++;
    if (this.nextSlot > 31) throw new Error(`no free PCI slot for '${d.id}'`);
    return this.nextSlot++ << 3;
  }

  /** After any reset: the host bridge's PAM state is authoritative for the page map. */
  afterReset(): void {
    if (this.bridge) this.m.memoryMap.applyPamSegments(this.bridge.pamSegments());
  }
}

function hex4(n: number): string {
  return (n & 0xffff).toString(16).padStart(4, '0');
}
