/**
 * The National Semiconductor DP8390D network interface controller as used on the NE2000 and
 * on Realtek's PCI clone, the RTL8029AS: the core shared by `ne2k_isa` and `ne2k_pci`.
 *
 * Follows the DP8390D datasheet (register pages 0-2, remote DMA, send-packet command,
 * receive ring with PSTART/PSTOP/BNRY/CURR and the 4-byte receive header, ISR/IMR, tally
 * counters, TCR loopback modes, RCR address filters with the 64-bit multicast hash) and the
 * NE2000 board around it as QEMU's hw/net/ne2000.c lays it out: a 32-byte station address PROM
 * at buffer address 0 (MAC bytes doubled, 0x57 0x57 in words 14-15) and 32 KiB of packet
 * memory at 0x4000-0xBFFF; data port at +0x10, reset port at +0x1F (a read resets the chip).
 * Checked against what Linux's drivers/net/ethernet/8390/{ne.c, ne2k-pci.c, 8390.c} do: the
 * probe's CNTR0 clear-on-read test, PROM reads in byte and word mode, insw/insl through the
 * data port, the receive-header sanity check in ei_receive(), and the overrun recovery.
 *
 * Differences from silicon, on purpose: received frames are stored without the 4 FCS bytes
 * (the header byte count is frame + 4, as QEMU), frames are transmitted instantly, and the
 * ring keeps one page free (a frame is taken only if it leaves CURR != BNRY).
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, IrqLine } from '../api.js';
import type { PacketPort } from '../../net/packet-port.js';
import { ETH_ZLEN, etherCrcBE, padFrame } from './nic-common.js';

// Command register.
const CR_STP = 0x01, CR_STA = 0x02, CR_TXP = 0x04;
const RD_READ = 1, RD_WRITE = 2, RD_SEND = 3;
// ISR bits.
export const ISR_PRX = 0x01, ISR_PTX = 0x02, ISR_RXE = 0x04, ISR_TXE = 0x08, ISR_OVW = 0x10, ISR_CNT = 0x20, ISR_RDC = 0x40, ISR_RST = 0x80;
// RCR bits.
const RCR_AR = 0x02, RCR_AB = 0x04, RCR_AM = 0x08, RCR_PRO = 0x10, RCR_MON = 0x20;
// Receive status.
const RSR_PRX = 0x01, RSR_MPA = 0x10, RSR_PHY = 0x20;
// Transmit status.
const TSR_PTX = 0x01, TSR_ABT = 0x08, TSR_CRS = 0x04;

/** Buffer memory: PROM at 0..31, packet RAM at 0x4000..0xBFFF (NE2000 16-bit layout). */
export const NE_PROM_SIZE = 32;
export const NE_RAM_START = 0x4000;
export const NE_RAM_END = 0xc000;
/** Data port and reset port offsets within the 32-byte window. */
export const NE_DATAPORT = 0x10;
export const NE_RESET = 0x1f;
export const NE_IO_SIZE = 0x20;

const MAX_PENDING = 64;
const COUNTER_MAX = 0xc0;
export const DP8390_STATE_VERSION = 1;

export interface Dp8390Options {
  /** Type name, for messages and saved state. */
  name: string;
  /** RTL8029AS extras: ID bytes at page 0 0x0A/0x0B and the page 3 configuration registers. */
  rtl8029: boolean;
}

export class Dp8390 implements DeviceModel {
  private readonly irq: IrqLine;
  private readonly mem = new Uint8Array(NE_RAM_END);
  private readonly prom = new Uint8Array(NE_PROM_SIZE);
  private readonly unsubscribe: (() => void)[] = [];
  private irqLevel = false;
  private busy = false;
  private pending: Uint8Array[] = [];

  // Registers.
  private cr = 0;
  private isr = 0;
  private imr = 0;
  private dcr = 0;
  private tcr = 0;
  private rcr = 0;
  private tsr = 0;
  private rsr = 0;
  private ncr = 0;
  private pstart = 0;
  private pstop = 0;
  private bnry = 0;
  private tpsr = 0;
  private tbcr = 0;
  private rsar = 0;
  private rbcr = 0;
  private curr = 0;
  private clda = 0;
  private readonly par = new Uint8Array(6);
  private readonly mar = new Uint8Array(8);
  private readonly cntr = [0, 0, 0];
  // RTL8029 page 3.
  private cr9346 = 0;
  private config2 = 0;
  private config3 = 0;

  /** Frames handed to the backend (for diagnostics). */
  txFrames = 0;
  rxFrames = 0;

  constructor(private readonly host: DeviceHost, readonly mac: Uint8Array, private readonly opts: Dp8390Options, private readonly port?: PacketPort) {
    this.irq = host.irq(0);
    // Station address PROM: each MAC byte twice (the board wires the PROM to both halves of
    // the 16-bit bus), then 0x57 0x57 ("W") in words 14 and 15 marking an NE2000.
    for (let i = 0; i < 6; i++) this.prom[2 * i] = this.prom[2 * i + 1] = mac[i];
    this.prom.fill(0x57, 28, 32);
    if (port) this.unsubscribe.push(port.onReceive((f) => this.receiveFromWire(f)));
    this.reset();
  }

  // ---- DeviceModel ----

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (region !== 0 || offset < 0 || offset >= NE_IO_SIZE) {
      this.host.guestError(`${this.opts.name}: read outside the I/O window (region ${region}, offset 0x${offset.toString(16)})`);
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    if (offset >= NE_DATAPORT && offset < 0x18) return this.readData(size);
    if (offset >= 0x18) {
      // Reset port: a read starts a reset (ne.c/ne2k-pci.c: outb(inb(NE_RESET), NE_RESET)).
      this.chipReset();
      return 0;
    }
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readReg((offset + i) & 0x0f) << (8 * i);
    this.updateIrq();
    return v >>> 0;
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region !== 0 || offset < 0 || offset >= NE_IO_SIZE) {
      this.host.guestError(`${this.opts.name}: write outside the I/O window (region ${region}, offset 0x${offset.toString(16)})`);
      return;
    }
    if (offset >= NE_DATAPORT && offset < 0x18) {
      this.writeData(size, value);
      return;
    }
    if (offset >= 0x18) return; // reset port write ends the reset pulse: nothing to do
    this.busy = true;
    try {
      for (let i = 0; i < size; i++) this.writeReg((offset + i) & 0x0f, (value >>> (8 * i)) & 0xff);
    } finally {
      this.busy = false;
    }
    this.drainPending();
    this.updateIrq();
  }

  ioReadString(region: number, offset: number, size: AccessSize, into: Uint8Array): void {
    if (region !== 0 || offset < NE_DATAPORT || offset >= 0x18) {
      for (let i = 0; i + size <= into.length; i += size) {
        const v = this.ioRead(region, offset, size);
        for (let b = 0; b < size; b++) into[i + b] = (v >>> (8 * b)) & 0xff;
      }
      return;
    }
    for (let i = 0; i + size <= into.length; i += size) {
      const v = this.readData(size);
      for (let b = 0; b < size; b++) into[i + b] = (v >>> (8 * b)) & 0xff;
    }
  }

  ioWriteString(region: number, offset: number, size: AccessSize, from: Uint8Array): void {
    for (let i = 0; i + size <= from.length; i += size) {
      let v = 0;
      for (let b = 0; b < size; b++) v |= from[i + b] << (8 * b);
      if (region === 0 && offset >= NE_DATAPORT && offset < 0x18) this.writeData(size, v >>> 0);
      else this.ioWrite(region, offset, size, v >>> 0);
    }
  }

  /** Power-on / system reset: the chip reset plus cleared buffer memory and registers. */
  reset(): void {
    this.mem.fill(0);
    this.pending = [];
    this.pstart = this.pstop = this.bnry = this.tpsr = this.curr = 0;
    this.tbcr = this.rsar = this.rbcr = this.clda = 0;
    this.rcr = this.tsr = this.rsr = this.ncr = this.tcr = 0;
    this.par.fill(0);
    this.mar.fill(0);
    this.cntr.fill(0);
    this.cr9346 = this.config2 = this.config3 = 0;
    this.chipReset();
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe.length = 0;
  }

  saveState(): DeviceState {
    return {
      type: this.opts.name,
      version: DP8390_STATE_VERSION,
      data: {
        cr: this.cr, isr: this.isr, imr: this.imr, dcr: this.dcr, tcr: this.tcr, rcr: this.rcr,
        tsr: this.tsr, rsr: this.rsr, ncr: this.ncr, pstart: this.pstart, pstop: this.pstop,
        bnry: this.bnry, tpsr: this.tpsr, tbcr: this.tbcr, rsar: this.rsar, rbcr: this.rbcr,
        curr: this.curr, clda: this.clda, par: [...this.par], mar: [...this.mar], cntr: [...this.cntr],
        cr9346: this.cr9346, config2: this.config2, config3: this.config3,
        ram: Array.from(this.mem.subarray(NE_RAM_START)),
      },
    };
  }

  loadState(state: DeviceState): void {
    if (state.type !== this.opts.name || state.version !== DP8390_STATE_VERSION) {
      throw new Error(`${this.opts.name}: cannot load state ${state.type} v${state.version}`);
    }
    const d = state.data;
    const num = (k: string, max: number): number => {
      const v = d[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new Error(`${this.opts.name}: bad state field ${k}`);
      return v;
    };
    const bytes = (k: string, len: number): number[] => {
      const v = d[k];
      if (!Array.isArray(v) || v.length !== len || !v.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xff)) throw new Error(`${this.opts.name}: bad state field ${k}`);
      return v as number[];
    };
    const ram = bytes('ram', NE_RAM_END - NE_RAM_START);
    this.cr = num('cr', 0xff); this.isr = num('isr', 0xff); this.imr = num('imr', 0x7f); this.dcr = num('dcr', 0x7f);
    this.tcr = num('tcr', 0x1f); this.rcr = num('rcr', 0x3f); this.tsr = num('tsr', 0xff); this.rsr = num('rsr', 0xff);
    this.ncr = num('ncr', 0xff); this.pstart = num('pstart', 0xff); this.pstop = num('pstop', 0xff); this.bnry = num('bnry', 0xff);
    this.tpsr = num('tpsr', 0xff); this.tbcr = num('tbcr', 0xffff); this.rsar = num('rsar', 0xffff); this.rbcr = num('rbcr', 0xffff);
    this.curr = num('curr', 0xff); this.clda = num('clda', 0xffff);
    this.par.set(bytes('par', 6)); this.mar.set(bytes('mar', 8));
    const c = bytes('cntr', 3);
    for (let i = 0; i < 3; i++) this.cntr[i] = Math.min(c[i], COUNTER_MAX);
    this.cr9346 = num('cr9346', 0xff); this.config2 = num('config2', 0xff); this.config3 = num('config3', 0xff);
    this.mem.fill(0);
    this.mem.set(ram, NE_RAM_START);
    this.pending = [];
    this.updateIrq();
  }

  // ---- host side ----

  /** A frame from the backend. */
  receiveFromWire(frame: Uint8Array): void {
    if (this.busy) {
      if (this.pending.length < MAX_PENDING) this.pending.push(frame.slice());
      return;
    }
    this.deliver(padFrame(frame), true);
    this.updateIrq();
  }

  // ---- registers ----

  private get page(): number {
    return this.cr >> 6;
  }

  private readReg(r: number): number {
    if (r === 0) return this.cr;
    switch (this.page) {
      case 0:
        switch (r) {
          case 0x01: return this.clda & 0xff;
          case 0x02: return this.clda >> 8;
          case 0x03: return this.bnry;
          case 0x04: return this.tsr;
          case 0x05: return this.ncr;
          case 0x06: return 0; // FIFO (loopback diagnostics)
          case 0x07: return this.isr;
          case 0x08: return this.rsar & 0xff; // CRDA0: the current remote DMA address
          case 0x09: return this.rsar >> 8;
          case 0x0a: return this.opts.rtl8029 ? 0x50 : this.unknownRead(r);
          case 0x0b: return this.opts.rtl8029 ? 0x43 : this.unknownRead(r);
          case 0x0c: return this.rsr;
          case 0x0d: case 0x0e: case 0x0f: {
            // Tally counters clear when read (Linux's probe checks this).
            const i = r - 0x0d;
            const v = this.cntr[i];
            this.cntr[i] = 0;
            if (!this.cntr.some((x) => x & 0x80)) this.isr &= ~ISR_CNT;
            return v;
          }
        }
        break;
      case 1:
        if (r <= 6) return this.par[r - 1];
        if (r === 7) return this.curr;
        return this.mar[r - 8];
      case 2:
        switch (r) {
          case 0x01: return this.pstart;
          case 0x02: return this.pstop;
          case 0x03: return this.curr; // remote next packet pointer
          case 0x04: return this.tpsr;
          case 0x05: return this.curr; // local next packet pointer
          case 0x06: return this.clda >> 8;
          case 0x07: return this.clda & 0xff;
          case 0x0c: return this.rcr | 0xc0;
          case 0x0d: return this.tcr | 0xe0;
          case 0x0e: return this.dcr | 0x80;
          case 0x0f: return this.imr | 0x80;
        }
        return 0xff; // reserved
      case 3:
        if (!this.opts.rtl8029) return this.unknownRead(r);
        switch (r) {
          case 0x01: return this.cr9346;
          case 0x03: return 0; // CONFIG0: no boot ROM, jumperless
          case 0x05: return this.config2;
          case 0x06: return this.config3;
          case 0x0e: return 0x29; // 8029ASID0
          case 0x0f: return 0x80; // 8029ASID1
        }
        return 0;
    }
    return this.unknownRead(r);
  }

  private unknownRead(r: number): number {
    this.host.guestError(`${this.opts.name}: read of reserved register page ${this.page} offset 0x${r.toString(16)}`);
    return 0xff;
  }

  private writeReg(r: number, v: number): void {
    if (r === 0) {
      this.writeCommand(v);
      return;
    }
    switch (this.page) {
      case 0:
        switch (r) {
          case 0x01: this.pstart = v; return;
          case 0x02: this.pstop = v; return;
          case 0x03: this.bnry = v; return;
          case 0x04: this.tpsr = v; return;
          case 0x05: this.tbcr = (this.tbcr & 0xff00) | v; return;
          case 0x06: this.tbcr = (this.tbcr & 0x00ff) | (v << 8); return;
          case 0x07: this.isr &= ~(v & 0x7f); return; // write 1 to clear; RST is cleared by Start only
          case 0x08: this.rsar = (this.rsar & 0xff00) | v; return;
          case 0x09: this.rsar = (this.rsar & 0x00ff) | (v << 8); return;
          case 0x0a: this.rbcr = (this.rbcr & 0xff00) | v; return;
          case 0x0b: this.rbcr = (this.rbcr & 0x00ff) | (v << 8); return;
          case 0x0c: this.rcr = v & 0x3f; return;
          case 0x0d: this.tcr = v & 0x1f; return;
          case 0x0e: this.dcr = v & 0x7f; return;
          case 0x0f: this.imr = v & 0x7f; return;
        }
        return;
      case 1:
        if (r <= 6) this.par[r - 1] = v;
        else if (r === 7) this.curr = v;
        else this.mar[r - 8] = v;
        return;
      case 2:
        // Diagnostic-only registers (local DMA address, next packet pointers): the datasheet
        // says not to write them in normal operation; writes are accepted and ignored.
        return;
      case 3:
        if (!this.opts.rtl8029) {
          this.host.guestError(`${this.opts.name}: write of reserved register page 3 offset 0x${r.toString(16)}`);
          return;
        }
        if (r === 0x01) this.cr9346 = v & 0xcf;
        else if ((this.cr9346 & 0xc0) === 0xc0) {
          // CONFIG registers are writable only in 9346 "config register write enable" mode.
          if (r === 0x05) this.config2 = v & 0xe0;
          else if (r === 0x06) this.config3 = v & 0x46;
        }
        return;
    }
  }

  private writeCommand(v: number): void {
    // STA/STP are commands: writing neither leaves the chip's state (and their readback) alone.
    let state = this.cr & (CR_STA | CR_STP);
    if (v & CR_STP) state = CR_STP;
    else if (v & CR_STA) state = CR_STA;
    this.cr = (v & ~(CR_STA | CR_STP | CR_TXP)) | state | (this.cr & CR_TXP);
    if (v & CR_STP) {
      // Stop: receiver and transmitter halt; RST reports the stopped state.
      this.isr |= ISR_RST;
      return;
    }
    if (v & CR_STA) this.isr &= ~ISR_RST;
    const rd = (v >> 3) & 7;
    if (rd === RD_SEND) {
      // Send Packet: remote DMA set up to read the packet at BNRY (address and byte count
      // from its receive header).
      const a = this.bnry << 8;
      this.rsar = a;
      this.rbcr = this.memRead(a + 2) | (this.memRead(a + 3) << 8);
    }
    if ((rd === RD_READ || rd === RD_WRITE || rd === RD_SEND) && this.rbcr === 0) this.isr |= ISR_RDC;
    if (v & CR_TXP) this.transmit();
  }

  // ---- remote DMA ----

  private memRead(a: number): number {
    a &= 0xffff;
    if (a < NE_PROM_SIZE) return this.prom[a];
    if (a >= NE_RAM_START && a < NE_RAM_END) return this.mem[a];
    return 0xff;
  }

  private memWrite(a: number, v: number): void {
    a &= 0xffff;
    if (a >= NE_RAM_START && a < NE_RAM_END) this.mem[a] = v;
  }

  /** The remote DMA address advances and wraps from PSTOP to PSTART like the local DMA. */
  private advance(): void {
    this.rsar = (this.rsar + 1) & 0xffff;
    if (this.pstop > this.pstart && this.rsar === this.pstop << 8) this.rsar = this.pstart << 8;
  }

  private dmaWidth(size: AccessSize): number {
    if (size === 4) return 4;
    return this.dcr & 1 ? 2 : 1; // DCR.WTS: word transfers
  }

  private countDown(n: number): void {
    if (this.rbcr === 0) return;
    this.rbcr = this.rbcr > n ? this.rbcr - n : 0;
    if (this.rbcr === 0) {
      this.isr |= ISR_RDC;
      this.updateIrq();
    }
  }

  private readData(size: AccessSize): number {
    const n = this.dmaWidth(size);
    if (n > 1) this.rsar &= ~1; // word-wide transfers ignore A0
    let v = 0;
    for (let i = 0; i < n; i++) {
      v |= this.memRead(this.rsar) << (8 * i);
      this.advance();
    }
    this.countDown(n);
    const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return (v & mask) >>> 0;
  }

  private writeData(size: AccessSize, value: number): void {
    const n = this.dmaWidth(size);
    if (n > 1) this.rsar &= ~1;
    for (let i = 0; i < n; i++) {
      this.memWrite(this.rsar, (value >>> (8 * i)) & 0xff);
      this.advance();
    }
    this.countDown(n);
  }

  // ---- transmit / receive ----

  private transmit(): void {
    const start = this.tpsr << 8;
    const len = this.tbcr;
    this.cr &= ~CR_TXP;
    this.ncr = 0;
    if (len === 0 || start < NE_RAM_START || start + len > NE_RAM_END) {
      this.host.guestError(`${this.opts.name}: transmit of ${len} bytes at 0x${start.toString(16)} outside packet memory`);
      this.tsr = TSR_ABT;
      this.isr |= ISR_TXE;
      return;
    }
    const frame = this.mem.slice(start, start + len);
    const loopback = (this.tcr >> 1) & 3;
    this.busy = true;
    try {
      if (loopback !== 0) {
        this.deliver(frame, false);
        this.tsr = TSR_PTX;
      } else {
        this.txFrames++;
        const carrier = this.port?.linkUp ?? false;
        if (carrier) this.port!.send(frame);
        // No medium: the frame goes out on a dead wire; the chip reports carrier sense lost.
        this.tsr = TSR_PTX | (carrier ? 0 : TSR_CRS);
      }
    } finally {
      this.busy = false;
    }
    this.isr |= ISR_PTX;
  }

  private drainPending(): void {
    while (this.pending.length && !this.busy) this.deliver(padFrame(this.pending.shift()!), true);
  }

  private bumpCounter(i: number): void {
    if (this.cntr[i] < COUNTER_MAX) this.cntr[i]++;
    if (this.cntr[i] & 0x80) this.isr |= ISR_CNT;
  }

  /** Address recognition per RCR (DP8390D "Address Recognition Logic"). */
  private accepts(f: Uint8Array): boolean {
    if (this.rcr & RCR_PRO) return true;
    if (f[0] & 1) {
      let bcast = true;
      for (let i = 0; i < 6; i++) if (f[i] !== 0xff) bcast = false;
      if (bcast) return (this.rcr & RCR_AB) !== 0;
      if (!(this.rcr & RCR_AM)) return false;
      const idx = etherCrcBE(f, 0, 6) >>> 26; // top 6 bits of the CRC select a MAR bit
      return (this.mar[idx >> 3] & (1 << (idx & 7))) !== 0;
    }
    for (let i = 0; i < 6; i++) if (f[i] !== this.par[i]) return false;
    return true;
  }

  private deliver(f: Uint8Array, fromWire: boolean): void {
    if (this.cr & CR_STP) return; // receiver off
    if (fromWire && ((this.tcr >> 1) & 3) !== 0) return; // in loopback the wire is not listened to
    if (f.length < ETH_ZLEN && !(this.rcr & RCR_AR)) return; // runt
    if (f.length < 14 || !this.accepts(f)) return;
    if (this.rcr & RCR_MON) {
      // Monitor mode: frames are checked and counted, never buffered.
      this.bumpCounter(2);
      return;
    }
    const ps = this.pstart, pe = this.pstop;
    if (ps < NE_RAM_START >> 8 || pe > NE_RAM_END >> 8 || pe <= ps) {
      this.host.guestError(`${this.opts.name}: receive ring PSTART 0x${ps.toString(16)} PSTOP 0x${pe.toString(16)} is not inside packet memory`);
      this.bumpCounter(2);
      return;
    }
    const ring = pe - ps;
    if (this.curr < ps || this.curr >= pe) this.curr = ps;
    const total = f.length + 4; // header byte count: frame + the 4 FCS bytes' worth of header
    const pages = Math.ceil((total + 4) / 256);
    let free = (((this.bnry - this.curr) % ring) + ring) % ring;
    if (free === 0) free = ring;
    if (pages >= free) {
      // Ring overflow: the frame is lost (missed packet tally), OVW reported.
      this.isr |= ISR_OVW;
      this.rsr = RSR_MPA;
      this.bumpCounter(2);
      return;
    }
    let next = this.curr + pages;
    if (next >= pe) next -= ring;
    const status = RSR_PRX | (f[0] & 1 ? RSR_PHY : 0);
    let a = this.curr << 8;
    const put = (b: number) => {
      this.mem[a] = b;
      a++;
      if (a === pe << 8) a = ps << 8;
    };
    put(status);
    put(next);
    put(total & 0xff);
    put(total >> 8);
    for (let i = 0; i < f.length; i++) put(f[i]);
    this.clda = a;
    this.curr = next;
    this.rsr = status;
    this.rxFrames++;
    this.isr |= ISR_PRX;
  }

  private chipReset(): void {
    // DP8390D "Initialization": STP and RD2 (abort DMA) set, RST in ISR, IMR cleared, DCR.LAS
    // set, TCR loopback bits cleared.
    this.cr = CR_STP | 0x20;
    this.isr = ISR_RST;
    this.imr = 0;
    this.dcr = 0x04;
    this.tcr &= ~0x06;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.isr & this.imr & 0x7f) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }
}
