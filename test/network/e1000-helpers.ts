/** Driver-side helpers for the e1000 tests: register access, ring setup as Linux's e1000 does it. */
import type { DeviceModel } from '../../src/devices/api.js';
import { e1000Type } from '../../src/devices/network/index.js';
import { REG } from '../../src/devices/network/e1000-regs.js';
import { FlatMemory, fakeHost, type FakeHost } from '../fakes.js';
import { RecordingPort } from './helpers.js';

export const TX_RING = 0x10000, RX_RING = 0x20000, RX_BUFS = 0x30000, TX_BUFS = 0x60000;

export interface Rig {
  dev: DeviceModel;
  host: FakeHost;
  mem: FlatMemory;
  port: RecordingPort;
  w(off: number, v: number): void;
  r(off: number): number;
}

export function rig(opts: { mac?: string; port?: RecordingPort; memSize?: number } = {}): Rig {
  const mem = new FlatMemory(opts.memSize ?? 0x100000);
  const port = opts.port ?? new RecordingPort();
  const host = fakeHost({ memory: mem, backend: port });
  const dev = e1000Type.create(host, { mac: opts.mac ?? '52:54:00:12:34:56' });
  return {
    dev, host, mem, port,
    w: (off, v) => dev.mmioWrite!(0, off, 4, v >>> 0),
    r: (off) => dev.mmioRead!(0, off, 4) >>> 0,
  };
}

/** A legacy transmit descriptor. */
export function putTxLegacy(mem: FlatMemory, index: number, buf: number, len: number, cmd: number, cso = 0, css = 0): void {
  const a = TX_RING + index * 16;
  mem.writeU32(a, buf);
  mem.writeU32(a + 4, 0);
  mem.writeU32(a + 8, (len & 0xffff) | (cso << 16) | (cmd << 24));
  mem.writeU32(a + 12, css << 8);
}

/** Extended data descriptor: DTYP=1, DCMD in the top byte, POPTS in upper bits 8-15. */
export function putTxData(mem: FlatMemory, index: number, buf: number, len: number, dcmd: number, popts: number): void {
  const a = TX_RING + index * 16;
  mem.writeU32(a, buf);
  mem.writeU32(a + 4, 0);
  mem.writeU32(a + 8, (len & 0xfffff) | (1 << 20) | ((dcmd | 0x20) << 24));
  mem.writeU32(a + 12, popts << 8);
}

export interface Ctx { ipcss: number; ipcso: number; ipcse: number; tucss: number; tucso: number; tucse: number; paylen: number; tucmd: number; hdrLen: number; mss: number }

export function putTxContext(mem: FlatMemory, index: number, c: Ctx): void {
  const a = TX_RING + index * 16;
  mem.bytes[a] = c.ipcss;
  mem.bytes[a + 1] = c.ipcso;
  mem.writeU16(a + 2, c.ipcse);
  mem.bytes[a + 4] = c.tucss;
  mem.bytes[a + 5] = c.tucso;
  mem.writeU16(a + 6, c.tucse);
  mem.writeU32(a + 8, (c.paylen & 0xfffff) | ((c.tucmd | 0x20) << 24));
  mem.bytes[a + 12] = 0;
  mem.bytes[a + 13] = c.hdrLen;
  mem.writeU16(a + 14, c.mss);
}

/** e1000_configure_tx: ring of `count` descriptors, TCTL.EN. */
export function setupTx(t: Rig, count = 8): void {
  t.w(REG.TDBAL, TX_RING);
  t.w(REG.TDBAH, 0);
  t.w(REG.TDLEN, count * 16);
  t.w(REG.TDH, 0);
  t.w(REG.TDT, 0);
  t.w(REG.TCTL, (1 << 1) | (1 << 3) | (0x0f << 4) | (0x40 << 12));
}

/** e1000_configure_rx: ring of `count` descriptors with 2 KiB buffers, all but one given to the NIC. */
export function setupRx(t: Rig, rctl: number, count = 8, bufSize = 2048): void {
  for (let i = 0; i < count; i++) {
    t.mem.writeU32(RX_RING + i * 16, RX_BUFS + i * bufSize);
    t.mem.writeU32(RX_RING + i * 16 + 4, 0);
    t.mem.writeU32(RX_RING + i * 16 + 8, 0);
    t.mem.writeU32(RX_RING + i * 16 + 12, 0);
  }
  t.w(REG.RDBAL, RX_RING);
  t.w(REG.RDBAH, 0);
  t.w(REG.RDLEN, count * 16);
  t.w(REG.RDH, 0);
  t.w(REG.RDT, count - 1);
  t.w(REG.RCTL, rctl);
}

/** The receive descriptor's write-back fields. */
export function rxDesc(mem: FlatMemory, i: number): { length: number; csum: number; status: number; errors: number; special: number } {
  const a = RX_RING + i * 16 + 8;
  return { length: mem.readU16(a), csum: mem.readU16(a + 2), status: mem.bytes[a + 4], errors: mem.bytes[a + 5], special: mem.readU16(a + 6) };
}

/** IEEE 802.3 FCS, computed bit by bit (independent of the device's table). */
export function fcs(f: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of f) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
