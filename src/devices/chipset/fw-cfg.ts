/**
 * QEMU firmware configuration device, I/O port flavour (`fw_cfg_io`): selector at 0x510
 * (16-bit write), data at 0x511 (byte reads advance through the selected item), and the DMA
 * interface at 0x514-0x51B (a big-endian 64-bit guest address of a FWCfgDmaAccess structure;
 * writing the low half at 0x518 starts the transfer; reads return the "QEMU CFG" signature).
 *
 * Follows QEMU's docs/specs/fw_cfg.rst: items are byte arrays selected by key; reads past an
 * item's end return 0; the file directory (0x19) is a big-endian count followed by
 * { be32 size, be16 select, u16 reserved, char name[56] } entries sorted by name, with file
 * selectors from 0x20. DMA control bits: error 0x01, read 0x02, skip 0x04, select 0x08
 * (key in bits 31:16), write 0x10; the device clears the control word (or leaves only the
 * error bit) when done. Nothing is writable by the guest.
 *
 * Regions: 0 = selector/data (0x510-0x511), 1 = DMA address (0x514-0x51B).
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType, PropertySpec } from '../api.js';
import { ascii, buildFwCfgContent, FW_CFG, type FwCfgConfig } from './fw-cfg-items.js';
import { boolProp, checkState, stNum } from './util.js';

const TYPE = 'fw_cfg_io';
const STATE_VERSION = 1;
const DMA_SIGNATURE = ascii('QEMU CFG');
const CTL_ERROR = 0x01, CTL_READ = 0x02, CTL_SKIP = 0x04, CTL_SELECT = 0x08, CTL_WRITE = 0x10;
const NAME_LEN = 56;

const properties: Record<string, PropertySpec> = {
  dma_enabled: { type: 'boolean', default: true, description: 'Offer the DMA interface (FW_CFG_ID bit 1, port 0x514)' },
};

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

export class FwCfg implements DeviceModel {
  private items = new Map<number, Uint8Array>();
  private files = new Map<string, Uint8Array>();
  private key = 0;
  private offset = 0;
  private dmaHigh = 0;

  constructor(private host: DeviceHost, cfg: FwCfgConfig, private dma: boolean) {
    const { items, files } = buildFwCfgContent(cfg, dma);
    this.items = items;
    this.files = files;
    this.rebuildDirectory();
  }

  /** Set a numbered item (machine use). */
  setItem(key: number, data: Uint8Array): void {
    this.items.set(key & 0xffff, data);
  }

  /** Add or replace a named file (machine use); the directory is rebuilt. */
  addFile(name: string, data: Uint8Array): void {
    if (name.length >= NAME_LEN) throw new RangeError(`fw_cfg file name too long: ${name}`);
    this.files.set(name, data);
    this.rebuildDirectory();
  }

  /** The selector of a named file, if present. */
  fileSelector(name: string): number | undefined {
    const names = [...this.files.keys()].sort();
    const i = names.indexOf(name);
    return i < 0 ? undefined : FW_CFG.FILE_FIRST + i;
  }

  private rebuildDirectory(): void {
    for (const k of [...this.items.keys()]) if (k >= FW_CFG.FILE_FIRST && k < 0x4000) this.items.delete(k);
    const names = [...this.files.keys()].sort();
    const dir = new Uint8Array(4 + names.length * 64);
    const dv = new DataView(dir.buffer);
    dv.setUint32(0, names.length, false);
    names.forEach((name, i) => {
      const data = this.files.get(name)!;
      const at = 4 + i * 64;
      dv.setUint32(at, data.length, false);
      dv.setUint16(at + 4, FW_CFG.FILE_FIRST + i, false);
      dir.set(ascii(name.slice(0, NAME_LEN - 1)), at + 8);
      this.items.set(FW_CFG.FILE_FIRST + i, data);
    });
    this.items.set(FW_CFG.FILE_DIR, dir);
  }

  private select(key: number): void {
    this.key = key & 0xffff;
    this.offset = 0;
  }

  private readByte(): number {
    const item = this.items.get(this.key);
    if (!item || this.offset >= item.length) return 0;
    return item[this.offset++];
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (region === 0 && offset < 2 && size === 1) return this.readByte();
    if (region === 1 && offset < 8 && offset + size <= 8) {
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + DMA_SIGNATURE[offset + i];
      return v >>> 0;
    }
    this.host.guestError(`fw_cfg: ${size}-byte read of unknown register region ${region} offset ${offset}`);
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }

  ioReadString(region: number, offset: number, size: AccessSize, into: Uint8Array): void {
    if (region === 0 && offset < 2 && size === 1) {
      const item = this.items.get(this.key);
      const avail = item ? Math.max(0, Math.min(into.length, item.length - this.offset)) : 0;
      if (item && avail > 0) into.set(item.subarray(this.offset, this.offset + avail));
      into.fill(0, avail);
      this.offset += avail;
      return;
    }
    for (let i = 0; i + size <= into.length; i += size) {
      const v = this.ioRead(region, offset, size);
      for (let b = 0; b < size; b++) into[i + b] = (v >>> (8 * b)) & 0xff;
    }
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region === 0 && offset === 0 && size === 2) return this.select(value);
    if (region === 0 && offset < 2 && size === 1) {
      this.host.guestError('fw_cfg: write to the data port ignored (items are read-only)');
      return;
    }
    if (region === 1 && size === 4 && (offset === 0 || offset === 4)) {
      if (!this.dma) {
        this.host.guestError('fw_cfg: DMA interface disabled');
        return;
      }
      // The register is big-endian: the CPU's little-endian value has its bytes swapped.
      if (offset === 0) this.dmaHigh = bswap32(value);
      else {
        const addr = this.dmaHigh * 0x100000000 + bswap32(value);
        this.dmaHigh = 0;
        this.runDma(addr);
      }
      return;
    }
    this.host.guestError(`fw_cfg: ${size}-byte write of unknown register region ${region} offset ${offset}`);
  }

  /** Execute one FWCfgDmaAccess { be32 control; be32 length; be64 address } at `addr`. */
  private runDma(addr: number): void {
    const mem = this.host.memory;
    if (!mem) {
      this.host.guestError('fw_cfg: DMA requested but no guest memory granted');
      return;
    }
    if (addr + 16 > mem.size) {
      this.host.guestError(`fw_cfg: DMA descriptor at 0x${addr.toString(16)} outside RAM`);
      return;
    }
    // Copy the descriptor out once; the guest may change it meanwhile.
    const control = bswap32(mem.readU32(addr));
    let length = bswap32(mem.readU32(addr + 4));
    let address = bswap32(mem.readU32(addr + 8)) * 0x100000000 + bswap32(mem.readU32(addr + 12));
    let error = false;
    if (control & CTL_SELECT) this.select(control >>> 16);
    let op: 'read' | 'skip' | 'write' | 'none';
    if (control & CTL_READ) op = 'read';
    else if (control & CTL_WRITE) op = 'write';
    else if (control & CTL_SKIP) op = 'skip';
    else op = 'none';
    if (op === 'write') {
      error = true; // no item accepts guest writes
      this.host.guestError(`fw_cfg: DMA write to item 0x${this.key.toString(16)} refused`);
    } else if (op !== 'none') {
      const item = this.items.get(this.key);
      while (length > 0) {
        let n: number;
        if (!item || this.offset >= item.length) {
          n = length;
          // Past an item's end a read yields zeros (written in bounded chunks).
          for (let done = 0; op === 'read' && done < n && !error; done += 1 << 16) {
            if (!mem.write(address + done, new Uint8Array(Math.min(n - done, 1 << 16)))) error = true;
          }
        } else {
          n = Math.min(length, item.length - this.offset);
          if (op === 'read' && !mem.write(address, item.subarray(this.offset, this.offset + n))) error = true;
          this.offset += n;
        }
        if (error) break;
        address += n;
        length -= n;
      }
    }
    mem.writeU32(addr, bswap32(error ? CTL_ERROR : 0));
  }

  reset(): void {
    this.key = 0;
    this.offset = 0;
    this.dmaHigh = 0;
  }

  saveState(): DeviceState {
    return { type: TYPE, version: STATE_VERSION, data: { key: this.key, offset: this.offset, dmaHigh: this.dmaHigh } };
  }

  loadState(state: DeviceState): void {
    const d = checkState(state, TYPE, STATE_VERSION);
    this.key = stNum(d, 'key', 0, 0xffff);
    this.offset = stNum(d, 'offset', 0, Number.MAX_SAFE_INTEGER);
    this.dmaHigh = stNum(d, 'dmaHigh');
  }
}

export const fwCfgType: DeviceType = {
  name: TYPE,
  class: 'chipset',
  bus: 'isa',
  description: 'QEMU firmware configuration interface (0x510/0x511, DMA at 0x514): RAM size, CPUs, e820, boot order',
  secure: true,
  secureReason: 'Chipset core emulated in the CPU worker; read-only items built by the machine',
  hotpluggable: false,
  capabilities: ['guest-memory'],
  properties,
  resources: () => ({
    ports: [
      { name: 'fw_cfg', base: 0x510, length: 2 },
      { name: 'fw_cfg_dma', base: 0x514, length: 8 },
    ],
    mmio: [],
    irqs: [],
  }),
  stateVersion: STATE_VERSION,
  create: (host, props) => {
    const b = host.backend as Partial<FwCfgConfig> | undefined;
    const cfg: FwCfgConfig = b && typeof b.ramBytes === 'number' ? (b as FwCfgConfig) : { ramBytes: host.memory?.size ?? 0 };
    if (!(b && typeof b.ramBytes === 'number')) host.log.log('warn', 'fw_cfg: no FwCfgConfig backend; RAM size taken from guest memory');
    return new FwCfg(host, cfg, boolProp(props, properties, 'dma_enabled'));
  },
};
