/**
 * The items and files the QEMU firmware configuration device offers SeaBIOS on a PC, built
 * from a machine-provided configuration. Selector numbers and layouts follow QEMU's
 * docs/specs/fw_cfg.rst and include/standard-headers/linux/qemu_fw_cfg.h; which ones matter
 * follows SeaBIOS src/fw/paravirt.c (qemu_cfg_init, qemu_cfg_legacy, qemu_cfg_e820) and
 * src/boot.c (bootorder, etc/boot-fail-wait, etc/show-boot-menu, etc/boot-menu-wait).
 */

export const FW_CFG = {
  SIGNATURE: 0x00,
  ID: 0x01,
  UUID: 0x02,
  RAM_SIZE: 0x03,
  NOGRAPHIC: 0x04,
  NB_CPUS: 0x05,
  KERNEL_ADDR: 0x07,
  KERNEL_SIZE: 0x08,
  KERNEL_CMDLINE: 0x09,
  INITRD_ADDR: 0x0a,
  INITRD_SIZE: 0x0b,
  NUMA: 0x0d,
  BOOT_MENU: 0x0e,
  MAX_CPUS: 0x0f,
  KERNEL_ENTRY: 0x10,
  KERNEL_DATA: 0x11,
  INITRD_DATA: 0x12,
  CMDLINE_ADDR: 0x13,
  CMDLINE_SIZE: 0x14,
  CMDLINE_DATA: 0x15,
  SETUP_ADDR: 0x16,
  SETUP_SIZE: 0x17,
  SETUP_DATA: 0x18,
  FILE_DIR: 0x19,
  FILE_FIRST: 0x20,
  ACPI_TABLES: 0x8000,
  SMBIOS_ENTRIES: 0x8001,
  IRQ0_OVERRIDE: 0x8002,
  E820_TABLE: 0x8003,
} as const;

/** FW_CFG_ID bits: traditional interface, DMA interface. */
export const FW_CFG_VERSION = 0x01;
export const FW_CFG_VERSION_DMA = 0x02;

/** E820 memory types. */
export const E820_RAM = 1;
export const E820_RESERVED = 2;

export interface E820Entry {
  address: number;
  length: number;
  type: number;
}

/** One blob loaded at a guest address by the Linux boot option ROM. */
export interface FwCfgBlob {
  address: number;
  data: Uint8Array;
}

/** What the machine decides and fw_cfg presents. Passed as the device's backend. */
export interface FwCfgConfig {
  /** Guest RAM in bytes. */
  ramBytes: number;
  cpus?: number;
  maxCpus?: number;
  /** Show the F12 boot menu (FW_CFG_BOOT_MENU → etc/show-boot-menu). */
  bootMenu?: boolean;
  /** Boot menu timeout in ms (etc/boot-menu-wait); omitted = firmware default. */
  bootMenuWaitMs?: number;
  /** Reboot after a failed boot after this many ms; -1 = never (QEMU's default). */
  bootFailWaitMs?: number;
  /** OpenFirmware device paths, highest priority first (the "bootorder" file). */
  bootOrder?: string[];
  /** Memory map for etc/e820; default: one RAM entry [0, ramBytes). */
  e820?: E820Entry[];
  /** IRQ 0 override flag (etc/irq0-override); QEMU sets 1. */
  irq0Override?: boolean;
  /** Optional direct Linux boot (consumed by a linuxboot option ROM, not by SeaBIOS itself). */
  linux?: { setup?: FwCfgBlob; kernel: FwCfgBlob; initrd?: FwCfgBlob; cmdline?: { address: number; text: string } };
  /** Additional files (ACPI tables, option ROMs, ...), by name. */
  files?: { name: string; data: Uint8Array }[];
  /** 16-byte SMBIOS UUID; default all zeros. */
  uuid?: Uint8Array;
}

export function u16le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >> 8) & 0xff);
}

export function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

export function u64le(v: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, v % 0x100000000, true);
  dv.setUint32(4, Math.floor(v / 0x100000000), true);
  return b;
}

/** ASCII/Latin-1 bytes of a string (fw_cfg names and command lines are ASCII). */
export function ascii(s: string, nulTerminate = false): Uint8Array {
  const b = new Uint8Array(s.length + (nulTerminate ? 1 : 0));
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** etc/e820: packed { u64 address; u64 length; u32 type } little-endian. */
export function encodeE820(entries: E820Entry[]): Uint8Array {
  const out = new Uint8Array(entries.length * 20);
  entries.forEach((e, i) => {
    out.set(u64le(e.address), i * 20);
    out.set(u64le(e.length), i * 20 + 8);
    out.set(u32le(e.type), i * 20 + 16);
  });
  return out;
}

/** QEMU's PC memory map for etc/e820: RAM below 4 GiB from 0, RAM above 4 GiB at 4 GiB. */
export function defaultE820(ramBytes: number): E820Entry[] {
  const below = Math.min(ramBytes, 0xe0000000);
  const entries: E820Entry[] = [{ address: 0, length: below, type: E820_RAM }];
  if (ramBytes > below) entries.push({ address: 0x100000000, length: ramBytes - below, type: E820_RAM });
  return entries;
}

/** "bootorder": paths separated by newlines, the last newline replaced by a NUL (as QEMU). */
export function encodeBootOrder(paths: string[]): Uint8Array {
  return paths.length ? ascii(paths.join('\n'), true) : new Uint8Array(0);
}

/** Build the numbered items and named files for `cfg`. */
export function buildFwCfgContent(cfg: FwCfgConfig, dma: boolean): { items: Map<number, Uint8Array>; files: Map<string, Uint8Array> } {
  const items = new Map<number, Uint8Array>();
  const files = new Map<string, Uint8Array>();
  const cpus = Math.max(1, cfg.cpus ?? 1);
  const maxCpus = Math.max(cpus, cfg.maxCpus ?? cpus);

  items.set(FW_CFG.SIGNATURE, ascii('QEMU'));
  items.set(FW_CFG.ID, u32le(FW_CFG_VERSION | (dma ? FW_CFG_VERSION_DMA : 0)));
  items.set(FW_CFG.UUID, cfg.uuid && cfg.uuid.length === 16 ? cfg.uuid.slice() : new Uint8Array(16));
  items.set(FW_CFG.RAM_SIZE, u64le(cfg.ramBytes));
  items.set(FW_CFG.NOGRAPHIC, u16le(0));
  items.set(FW_CFG.NB_CPUS, u16le(cpus));
  items.set(FW_CFG.MAX_CPUS, u16le(maxCpus));
  items.set(FW_CFG.BOOT_MENU, u16le(cfg.bootMenu ? 1 : 0));
  // NUMA: node count 0, then one node number per possible CPU (no nodes).
  items.set(FW_CFG.NUMA, new Uint8Array(8 * (1 + maxCpus)));
  items.set(FW_CFG.ACPI_TABLES, u16le(0));
  items.set(FW_CFG.SMBIOS_ENTRIES, u16le(0));
  items.set(FW_CFG.IRQ0_OVERRIDE, u32le(cfg.irq0Override === false ? 0 : 1));
  items.set(FW_CFG.E820_TABLE, u32le(0)); // legacy reservation table: none

  const lx = cfg.linux;
  if (lx) {
    items.set(FW_CFG.KERNEL_ADDR, u32le(lx.kernel.address));
    items.set(FW_CFG.KERNEL_SIZE, u32le(lx.kernel.data.length));
    items.set(FW_CFG.KERNEL_DATA, lx.kernel.data);
    if (lx.setup) {
      items.set(FW_CFG.SETUP_ADDR, u32le(lx.setup.address));
      items.set(FW_CFG.SETUP_SIZE, u32le(lx.setup.data.length));
      items.set(FW_CFG.SETUP_DATA, lx.setup.data);
    }
    if (lx.initrd) {
      items.set(FW_CFG.INITRD_ADDR, u32le(lx.initrd.address));
      items.set(FW_CFG.INITRD_SIZE, u32le(lx.initrd.data.length));
      items.set(FW_CFG.INITRD_DATA, lx.initrd.data);
    }
    if (lx.cmdline) {
      const text = ascii(lx.cmdline.text, true);
      items.set(FW_CFG.CMDLINE_ADDR, u32le(lx.cmdline.address));
      items.set(FW_CFG.CMDLINE_SIZE, u32le(text.length));
      items.set(FW_CFG.CMDLINE_DATA, text);
    }
  }

  files.set('etc/e820', encodeE820(cfg.e820 ?? defaultE820(cfg.ramBytes)));
  files.set('bootorder', encodeBootOrder(cfg.bootOrder ?? []));
  files.set('etc/boot-fail-wait', u32le(cfg.bootFailWaitMs ?? -1));
  if (cfg.bootMenuWaitMs !== undefined) files.set('etc/boot-menu-wait', u16le(cfg.bootMenuWaitMs));
  for (const f of cfg.files ?? []) files.set(f.name, f.data);
  return { items, files };
}
