/**
 * A PIIX3 IDE controller wired to fakes, with helpers that talk to it only through its ports:
 * region 0 = 1F0h-1F7h, 1 = 3F6h, 2 = 170h-177h, 3 = 376h, 4 = BAR4 (bus master).
 */
import type { BlockBackend } from '../../src/block/api.js';
import { Piix3Ide, piix3IdeType } from '../../src/devices/storage/ide/piix3-ide.js';
import { fakeHost, FlatMemory, type FakeHost } from '../fakes.js';
import { drain } from './helpers.js';

export const REG = { DATA: 0, ERROR: 1, FEATURE: 1, NSECT: 2, LBAL: 3, LBAM: 4, LBAH: 5, DEV: 6, STATUS: 7, CMD: 7 };

export class IdeRig {
  readonly host: FakeHost;
  readonly ide: Piix3Ide;
  readonly mem = new FlatMemory(4 * 1024 * 1024);
  constructor(
    drives: Record<string, 'ide-hd' | 'ide-cd'>,
    backends: Record<string, BlockBackend | null>,
    readonly ch: 0 | 1 = 0,
  ) {
    this.host = fakeHost({ irqCount: 2, memory: this.mem, backend: backends });
    this.ide = piix3IdeType.create(this.host, drives) as Piix3Ide;
  }
  get irq() {
    return this.host.irqs[this.ch];
  }
  out(reg: number, v: number): void {
    this.ide.ioWrite(this.ch * 2, reg, 1, v);
  }
  in(reg: number): number {
    return this.ide.ioRead(this.ch * 2, reg, 1);
  }
  altStatus(): number {
    return this.ide.ioRead(this.ch * 2 + 1, 0, 1);
  }
  devCtl(v: number): void {
    this.ide.ioWrite(this.ch * 2 + 1, 0, 1, v);
  }
  inw(): number {
    return this.ide.ioRead(this.ch * 2, 0, 2);
  }
  outw(v: number): void {
    this.ide.ioWrite(this.ch * 2, 0, 2, v);
  }
  /** rep insw of `bytes` bytes. */
  insw(bytes: number): Uint8Array {
    const b = new Uint8Array(bytes);
    this.ide.ioReadString(this.ch * 2, 0, 2, b);
    return b;
  }
  outsw(data: Uint8Array): void {
    this.ide.ioWriteString(this.ch * 2, 0, 2, data);
  }
  select(unit: 0 | 1, lba = true, head = 0): void {
    this.out(REG.DEV, 0xa0 | (lba ? 0x40 : 0) | (unit << 4) | head);
  }
  /** Program an LBA28 address and count, then issue `cmd`. */
  lba28(cmd: number, lba: number, count: number, unit: 0 | 1 = 0): void {
    this.out(REG.NSECT, count & 0xff);
    this.out(REG.LBAL, lba & 0xff);
    this.out(REG.LBAM, (lba >> 8) & 0xff);
    this.out(REG.LBAH, (lba >> 16) & 0xff);
    this.out(REG.DEV, 0xe0 | (unit << 4) | ((lba >> 24) & 0xf));
    this.out(REG.CMD, cmd);
  }
  /** Program an LBA48 address and count (high bytes first), then issue `cmd`. */
  lba48(cmd: number, lba: number, count: number, unit: 0 | 1 = 0): void {
    const hi = Math.floor(lba / 2 ** 24);
    this.out(REG.NSECT, (count >> 8) & 0xff);
    this.out(REG.LBAL, hi & 0xff);
    this.out(REG.LBAM, (hi >> 8) & 0xff);
    this.out(REG.LBAH, (hi >> 16) & 0xff);
    this.out(REG.NSECT, count & 0xff);
    this.out(REG.LBAL, lba & 0xff);
    this.out(REG.LBAM, (lba >>> 8) & 0xff);
    this.out(REG.LBAH, (lba >>> 16) & 0xff);
    this.out(REG.DEV, 0x40 | (unit << 4));
    this.out(REG.CMD, cmd);
  }
  /** Wait (draining promises) until BSY clears; returns the status without clearing INTRQ. */
  async notBusy(): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const s = this.altStatus();
      if (!(s & 0x80)) return s;
      await drain(1);
    }
    throw new Error('device stayed busy');
  }
  // ---- bus master (BAR4, channel base 0 or 8) ----
  bmWrite(off: number, size: 1 | 4, v: number): void {
    this.ide.ioWrite(4, this.ch * 8 + off, size, v);
  }
  bmRead(off: number): number {
    return this.ide.ioRead(4, this.ch * 8 + off, 1);
  }
  /** Write a PRD table at `table` from [addr, len] pairs (the last gets EOT unless noEot). */
  prd(table: number, entries: [number, number][], noEot = false): void {
    entries.forEach(([addr, len], i) => {
      this.mem.writeU32(table + i * 8, addr);
      this.mem.writeU32(table + i * 8 + 4, (len & 0xffff) | (i === entries.length - 1 && !noEot ? 0x80000000 : 0));
    });
  }
}
