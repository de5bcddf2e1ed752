/**
 * Intel 82441FX PMC, the host bridge of the i440FX chipset (`i440FX-pcihost`, PCI 00:00.0,
 * 8086:1237), with PCI configuration mechanism #1 at ports 0xCF8-0xCFF and the PIIX3 reset
 * control register that shares that range (0xCF9).
 *
 * Follows the Intel 440FX PCIset datasheet (order no. 290549): CONFADD (0xCF8, dword only,
 * bit 31 enable, bus, device, function, register) and CONFDATA (0xCFC-0xCFF, any width);
 * PAM0-PAM6 (0x59-0x5F) read/write enables of the 0xC0000-0xFFFFF segments; SMRAM (0x72) kept
 * as plain storage. The Intel 82371SB (PIIX3) datasheet for the reset control register
 * (bit 1 system reset type, bit 2 reset CPU). Device-specific defaults as QEMU's
 * hw/pci-host/i440fx.c (revision 2, SMRAM 0x02, 0x57 = RAM size in 8 MiB units).
 *
 * Regions: 0 = 0xCF8-0xCFF.
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType, PciIdentity, PropertySpec } from '../../api.js';
import type { PamListener, PamSegment, PciHostBridge } from '../interfaces.js';
import { checkState, DeviceStateError, numProp, stBytes, stNum } from '../util.js';
import { PciBus } from './bus.js';
import type { PciFunction } from './config-space.js';

const TYPE = 'i440FX-pcihost';
const STATE_VERSION = 1;
const PAM_FIRST = 0x59;
const PAM_LAST = 0x5f;
const SMRAM = 0x72;

export const I440FX_IDENTITY: PciIdentity = {
  vendorId: 0x8086,
  deviceId: 0x1237,
  classCode: 0x060000,
  revision: 0x02,
  bars: [],
};

/** The 13 PAM segments: [register, nibble (0 = low, 1 = high), base, size]. */
const PAM_MAP: [number, number, number, number][] = [[0x59, 1, 0xf0000, 0x10000]];
for (let i = 0; i < 12; i++) PAM_MAP.push([0x5a + (i >> 1), i & 1, 0xc0000 + i * 0x4000, 0x4000]);

const properties: Record<string, PropertySpec> = {
  ramSizeMiB: { type: 'number', default: 128, description: 'Guest RAM, reported in register 0x57 in 8 MiB units as QEMU does' },
};

export class I440fxHost implements DeviceModel, PciHostBridge {
  readonly bus = new PciBus();
  readonly fn: PciFunction;
  private confAddr = 0;
  private rcr = 0;
  /** Device-specific config bytes 0x40-0xFF. */
  private ext = new Uint8Array(256);
  private pamListener: PamListener | undefined;

  constructor(private host: DeviceHost, private ramSizeMiB: number) {
    this.fn = this.bus.addFunction({ devfn: 0, identity: I440FX_IDENTITY, model: this, name: 'i440FX' });
    this.resetExt();
  }

  private resetExt(): void {
    this.ext.fill(0);
    this.ext[SMRAM] = 0x02;
    this.ext[0x57] = Math.max(0, Math.min(255, Math.floor(this.ramSizeMiB / 8)));
  }

  setPamListener(listener: PamListener): void {
    this.pamListener = listener;
  }

  pamSegments(): PamSegment[] {
    return PAM_MAP.map(([reg, nib, base, size]) => {
      const bits = (this.ext[reg] >> (nib * 4)) & 3;
      return { base, size, readRam: (bits & 1) !== 0, writeRam: (bits & 2) !== 0 };
    });
  }

  /** Device-specific configuration (0x40-0xFF) of 00:00.0. */
  pciConfigRead(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.ext[(offset + i) & 0xff];
    return v >>> 0;
  }

  pciConfigWrite(offset: number, size: AccessSize, value: number): void {
    const before = this.pamSegments();
    let pamTouched = false;
    for (let i = 0; i < size; i++) {
      const off = (offset + i) & 0xff;
      if (off < 0x40) continue;
      this.ext[off] = (value >>> (8 * i)) & 0xff;
      if (off >= PAM_FIRST && off <= PAM_LAST) pamTouched = true;
    }
    if (pamTouched) this.reportPam(before);
  }

  private reportPam(before: PamSegment[]): void {
    const after = this.pamSegments();
    const changed = after.filter((s, i) => s.readRam !== before[i].readRam || s.writeRam !== before[i].writeRam);
    if (changed.length) this.pamListener?.(changed);
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (region !== 0 || offset > 7 || offset + size > 8) {
      this.host.guestError(`i440FX: ${size}-byte read of unknown register region ${region} offset ${offset}`);
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    if (offset < 4) {
      if (offset === 0 && size === 4) return this.confAddr >>> 0;
      if (offset === 1 && size === 1) return this.rcr;
      // Other widths at 0xCF8-0xCFB are ordinary I/O that nothing decodes (mechanism #2 probes).
      return size === 2 ? 0xffff : 0xff;
    }
    return this.dataRead(offset - 4, size);
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region !== 0 || offset > 7 || offset + size > 8) {
      this.host.guestError(`i440FX: ${size}-byte write of unknown register region ${region} offset ${offset}`);
      return;
    }
    if (offset < 4) {
      if (offset === 0 && size === 4) this.confAddr = (value & 0x80fffffc) >>> 0;
      else if (offset === 1 && size === 1) this.writeRcr(value & 0xff);
      return; // byte/word writes to 0xCF8/0xCFA/0xCFB are not configuration cycles
    }
    this.dataWrite(offset - 4, size, value);
  }

  private target(): { bus: number; devfn: number; reg: number } | undefined {
    const a = this.confAddr;
    if (!(a & 0x80000000)) return undefined;
    return { bus: (a >> 16) & 0xff, devfn: (a >> 8) & 0xff, reg: a & 0xfc };
  }

  private dataRead(byteOff: number, size: AccessSize): number {
    const t = this.target();
    if (!t) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return this.bus.configRead(t.bus, t.devfn, t.reg + byteOff, size);
  }

  private dataWrite(byteOff: number, size: AccessSize, value: number): void {
    const t = this.target();
    if (!t) return;
    this.bus.configWrite(t.bus, t.devfn, t.reg + byteOff, size, value);
  }

  /** PIIX3 RC register: bit 2 (RCPU) requests a reset of type bit 1 (SRST: 1 hard, 0 soft). */
  private writeRcr(v: number): void {
    if (v & 0x04) {
      this.rcr = v & 0x02;
      this.host.signals?.requestReset(`reset control register 0xCF9 (${v & 0x02 ? 'hard' : 'soft'} reset)`);
      return;
    }
    this.rcr = v & 0x02;
  }

  reset(): void {
    const before = this.pamSegments();
    this.confAddr = 0;
    this.rcr = 0;
    this.resetExt();
    this.bus.resetAll();
    this.reportPam(before);
  }

  saveState(): DeviceState {
    const fns: Record<string, number[]> = {};
    for (const f of this.bus.functions()) fns[String(f.devfn)] = f.saveHeader();
    return {
      type: TYPE,
      version: STATE_VERSION,
      data: { confAddr: this.confAddr, rcr: this.rcr, ext: Array.from(this.ext), headers: fns },
    };
  }

  loadState(state: DeviceState): void {
    const d = checkState(state, TYPE, STATE_VERSION);
    const before = this.pamSegments();
    this.confAddr = stNum(d, 'confAddr');
    this.rcr = stNum(d, 'rcr', 0, 255);
    this.ext = stBytes(d, 'ext', 256);
    const headers = d.headers;
    if (typeof headers !== 'object' || headers === null) throw new DeviceStateError('i440FX: no PCI headers');
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
      // Functions not plugged into this machine are skipped by restoreHeader.
      this.bus.restoreHeader(Number(k), stBytes({ v }, 'v', 64));
    }
    this.bus.updateIntx();
    this.reportPam(before);
  }
}

export const i440fxType: DeviceType = {
  name: TYPE,
  class: 'chipset',
  bus: 'system',
  description: 'Intel i440FX host bridge (PCI 00:00.0) with configuration mechanism #1 and PAM',
  secure: true,
  secureReason: 'Chipset core emulated in the CPU worker; part of the trusted platform like in QEMU',
  hotpluggable: false,
  capabilities: ['platform-signals'],
  properties,
  resources: () => ({ ports: [{ name: 'pci-conf', base: 0xcf8, length: 8 }], mmio: [], irqs: [], pci: I440FX_IDENTITY }),
  stateVersion: STATE_VERSION,
  create: (host, props) => new I440fxHost(host, numProp(props, properties, 'ramSizeMiB')),
};
