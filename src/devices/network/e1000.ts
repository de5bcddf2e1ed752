/**
 * `e1000`: the Intel 82540EM Gigabit Ethernet controller (PRO/1000 MT Desktop), PCI 8086:100E,
 * as Linux's e1000 driver and iPXE's intel driver use it. Follows the 8254x Family Software
 * Developer's Manual (registers, descriptor formats, interrupt moderation with ITR, RDTR/RADV
 * and TIDV/TADV, statistics) and QEMU's hw/net/e1000.c where the manual leaves room.
 *
 * BAR0 (memory, 128 KiB) holds the registers; BAR1 (I/O, 64 bytes) is the IOADDR/IODATA
 * window onto them. The EEPROM, PHY and transmit path live in e1000-eeprom-phy.ts and
 * e1000-tx.ts, receive filtering and checksum status in e1000-rx.ts; the register file,
 * interrupt logic, descriptor rings and statistics are here.
 *
 * Guest memory is touched only through copies: each descriptor is read once into a local
 * buffer and validated there; ring lengths are masked to the register's bits, heads and tails
 * outside the ring stop the engine with a guest error, and one doorbell processes at most one
 * ring's worth of descriptors.
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, GuestMemory, IrqLine, Timer } from '../api.js';
import type { PacketPort } from '../../net/packet-port.js';
import { getU16, onesSum } from '../../net/frame.js';
import { ETH_ZLEN, padFrame } from './nic-common.js';
import {
  CTRL_PHY_RST, CTRL_RST, CTRL_VME, DESC_SIZE, E1000_IO_SIZE, E1000_MMIO_SIZE, EERD_ADDR_SHIFT, EERD_DATA_SHIFT, EERD_DONE,
  EERD_START, ICR_LSC, ICR_MDAC, ICR_RXDMT0, ICR_RXO, ICR_RXT0, ICR_TXDW, ICR_TXQE, ICR_VALID, MDIC_ERROR, MDIC_IE,
  MDIC_OP_READ, MDIC_OP_WRITE, MDIC_PHY_SHIFT, MDIC_READY, MDIC_REG_SHIFT, RAH_AV,
  RCTL_EN, RCTL_LBM, RCTL_LPE, RCTL_RDMTS_SHIFT, RCTL_SBP, RCTL_SECRC, REG,
  RING_LEN_MASK, RXCSUM_PCSS, RXD_STAT_DD, RXD_STAT_EOP,
  RXD_STAT_VP, STAT, STAT64, STATUS_ASDV_1000, STATUS_FD, STATUS_LU,
  STATUS_MTXCKOK, STATUS_SPEED_1000, TCTL_EN, TXD_STAT_DD,
} from './e1000-regs.js';
import { M88Phy, MicrowireEeprom, buildEeprom, PHY } from './e1000-eeprom-phy.js';
import { TxEngine, getLE32 } from './e1000-tx.js';
import { ethernetFcs, rxBufferSize, rxChecksumStatus, rxFilterAccepts } from './e1000-rx.js';

export const E1000_DEVICE_ID = 0x100e;
export const E1000_SUBSYSTEM_ID = 0x001e; // PRO/1000 MT Desktop Adapter
export const E1000_STATE_VERSION = 1;
/** Virtual time an autonegotiation takes (QEMU uses 500 ms). */
export const AUTONEG_NS = 500_000_000;
/** Receive packet buffer (PBA RX allocation, 48 KiB) holding frames while no descriptors are free. */
const RX_FIFO_BYTES = 48 * 1024;
const MAX_FRAME_LPE = 16384;
const MAX_FRAME_VLAN = 1522;
/**
 * Work one TDT doorbell may do before the rest is deferred to a timer (TX_CONTINUE_NS later):
 * a ring of TSO descriptors could otherwise ask for millions of segments in one call.
 */
const TX_BUDGET_FRAMES = 4096;
const TX_BUDGET_BYTES = 8 * 1024 * 1024;
const TX_CONTINUE_NS = 10_000;

/** Which BAR0 offsets are registers (everything else is reserved: reads 0, writes dropped, guest error). */
const KNOWN = new Set<number>();
for (const v of Object.values(REG)) KNOWN.add(v);
for (const v of Object.values(STAT)) KNOWN.add(v);
for (let i = 0; i < 128; i++) {
  KNOWN.add(REG.MTA + 4 * i);
  KNOWN.add(REG.VFTA + 4 * i);
  KNOWN.add(REG.FFMT + 8 * i);
  KNOWN.add(REG.FFVT + 8 * i);
}
for (let i = 0; i < 32; i++) KNOWN.add(REG.RA + 4 * i);
for (let i = 0; i < 32; i++) KNOWN.add(REG.WUPM + 4 * i);
for (let i = 0; i < 4; i++) {
  KNOWN.add(REG.IP4AT + 8 * i);
  KNOWN.add(REG.IP6AT + 4 * i);
  KNOWN.add(REG.FFLT + 8 * i);
}
const STAT_OFFSETS = new Set<number>(Object.values(STAT));
const STAT64_HIGH = new Map<number, number>(Object.entries(STAT64).map(([lo, hi]) => [hi, Number(lo)]));
const READ_ONLY = new Set<number>([REG.STATUS, ...STAT_OFFSETS]);

const r32 = (o: number) => o >> 2;

export class E1000 implements DeviceModel {
  private readonly irq: IrqLine;
  private readonly regs = new Uint32Array(E1000_MMIO_SIZE / 4);
  private readonly eeprom: MicrowireEeprom;
  private readonly phy = new M88Phy();
  private readonly tx: TxEngine;
  private readonly memory?: GuestMemory;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly itrTimer: Timer;
  private readonly rdtrTimer: Timer;
  private readonly radvTimer: Timer;
  private readonly tidvTimer: Timer;
  private readonly tadvTimer: Timer;
  private readonly anTimer: Timer;
  private readonly txTimer: Timer;
  private sliceFrames = 0;
  private sliceBytes = 0;
  /** Diagnostics (not guest-visible, never cleared by reads): frames sent and received, TSO packets split. */
  readonly counters = { txFrames: 0, rxFrames: 0, tsoPackets: 0 };
  private irqLevel = false;
  private ioaddr = 0;
  private inTx = false;
  private rxFifo: Uint8Array[] = [];
  private rxFifoBytes = 0;
  private deferred: Uint8Array[] = [];

  constructor(private readonly host: DeviceHost, readonly mac: Uint8Array, private readonly port?: PacketPort) {
    this.irq = host.irq(0);
    this.memory = host.memory;
    this.eeprom = new MicrowireEeprom(buildEeprom(mac, E1000_DEVICE_ID, E1000_SUBSYSTEM_ID, 0x8086));
    this.tx = new TxEngine({
      dmaRead: (a, into) => this.dmaRead(a, into),
      transmit: (f) => this.transmitFrame(f),
      vlan: () => ({ enabled: (this.regs[r32(REG.CTRL)] & CTRL_VME) !== 0, ethertype: this.regs[r32(REG.VET)] & 0xffff }),
      guestError: (m) => host.guestError(m),
      countTsoContext: () => {
        this.counters.tsoPackets++;
        this.count(STAT.TSCTC);
      },
    });
    const c = host.clock;
    this.itrTimer = c.createTimer(() => this.updateIrq());
    this.rdtrTimer = c.createTimer(() => this.rxDelayExpired());
    this.radvTimer = c.createTimer(() => this.rxDelayExpired());
    this.tidvTimer = c.createTimer(() => this.txDelayExpired());
    this.tadvTimer = c.createTimer(() => this.txDelayExpired());
    this.anTimer = c.createTimer(() => this.autonegDone());
    this.txTimer = c.createTimer(() => this.startTx());
    if (port) {
      this.unsubscribe.push(port.onReceive((f) => this.receiveFromWire(f)));
      this.unsubscribe.push(port.onLinkChange((up) => this.mediumChanged(up)));
    }
    this.reset();
  }

  private get mediumUp(): boolean {
    return this.port?.linkUp ?? false;
  }

  // ---- register access ----

  mmioRead(region: number, offset: number, size: AccessSize): number {
    if (region !== 0 || offset < 0 || offset + size > E1000_MMIO_SIZE) {
      this.host.guestError(`e1000: MMIO read outside BAR0 (region ${region}, offset 0x${offset.toString(16)})`);
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    const aligned = offset & ~3;
    const v = this.readReg(aligned);
    const shift = (offset & 3) * 8;
    const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return ((v >>> shift) & mask) >>> 0;
  }

  mmioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region !== 0 || offset < 0 || offset + size > E1000_MMIO_SIZE) {
      this.host.guestError(`e1000: MMIO write outside BAR0 (region ${region}, offset 0x${offset.toString(16)})`);
      return;
    }
    if (size !== 4 || offset & 3) {
      // The 8254x registers are 32 bits wide; narrower writes are not supported by the part.
      this.host.guestError(`e1000: ${size}-byte MMIO write at 0x${offset.toString(16)} dropped`);
      return;
    }
    this.writeReg(offset, value >>> 0);
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (region !== 0 || offset < 0 || offset >= E1000_IO_SIZE) {
      this.host.guestError(`e1000: I/O read outside BAR1 (region ${region}, offset 0x${offset.toString(16)})`);
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    const shift = (offset & 3) * 8;
    if (offset < 4) return ((this.ioaddr >>> shift) & mask) >>> 0;
    if (offset < 8) return ((this.readReg(this.ioaddr & 0x1fffc) >>> shift) & mask) >>> 0;
    this.host.guestError(`e1000: read of reserved I/O offset 0x${offset.toString(16)}`);
    return 0;
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region !== 0 || offset < 0 || offset >= E1000_IO_SIZE) {
      this.host.guestError(`e1000: I/O write outside BAR1 (region ${region}, offset 0x${offset.toString(16)})`);
      return;
    }
    if (size !== 4 || (offset !== 0 && offset !== 4)) {
      this.host.guestError(`e1000: ${size}-byte I/O write at offset 0x${offset.toString(16)} dropped`);
      return;
    }
    if (offset === 0) this.ioaddr = value & 0x1ffff;
    else this.writeReg(this.ioaddr & 0x1fffc, value >>> 0);
  }

  reset(): void {
    this.regs.fill(0);
    this.ioaddr = 0;
    this.eeprom.reset();
    this.tx.reset();
    this.rxFifo = [];
    this.rxFifoBytes = 0;
    this.deferred = [];
    for (const t of [this.itrTimer, this.rdtrTimer, this.radvTimer, this.tidvTimer, this.tadvTimer, this.anTimer, this.txTimer]) t.cancel();
    this.macReset();
    this.phy.reset(this.mediumUp);
    this.irqLevel = false;
    this.irq.set(false);
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe.length = 0;
    for (const t of [this.itrTimer, this.rdtrTimer, this.radvTimer, this.tidvTimer, this.tadvTimer, this.anTimer, this.txTimer]) t.cancel();
  }

  // ---- host side ----

  /** A frame from the medium. */
  receiveFromWire(frame: Uint8Array): void {
    if (this.inTx) {
      if (this.deferred.length < 64) this.deferred.push(frame.slice());
      return;
    }
    this.receive(padFrame(frame));
  }

  /** The medium's carrier changed (backend connected/disconnected): STATUS.LU and LSC. */
  mediumChanged(up: boolean): void {
    if (!up) {
      this.anTimer.cancel();
      this.phy.setLink(false, (this.phy.regs[PHY.BMSR] & 0x20) !== 0);
    } else {
      this.phy.setLink(true, true);
    }
    this.setCause(ICR_LSC);
  }

  // ---- registers ----

  private readReg(o: number): number {
    if (!KNOWN.has(o)) {
      this.host.guestError(`e1000: read of reserved register 0x${o.toString(16)}`);
      return 0;
    }
    const i = r32(o);
    switch (o) {
      case REG.STATUS:
        return this.status();
      case REG.EECD:
        return this.eeprom.read();
      case REG.EERD: {
        const v = this.regs[i];
        if (!(v & EERD_START)) return v;
        const addr = (v >>> EERD_ADDR_SHIFT) & 0xff;
        const base = (v & 0xff00) | EERD_DONE;
        if (addr >= this.eeprom.words.length) return base >>> 0;
        return (base | (this.eeprom.words[addr] << EERD_DATA_SHIFT)) >>> 0;
      }
      case REG.ICR: {
        // Reading ICR returns and clears all causes (and so deasserts the line).
        const v = this.regs[i];
        this.regs[i] = 0;
        this.updateIrq();
        return v;
      }
      case REG.ICS:
        return this.regs[r32(REG.ICR)];
      case REG.IMC:
        return 0;
    }
    if (STAT_OFFSETS.has(o)) {
      const v = this.regs[i];
      const lo = STAT64_HIGH.get(o);
      if (lo !== undefined) {
        // The 64-bit counters clear when their high half is read.
        this.regs[i] = 0;
        this.regs[r32(lo)] = 0;
      } else if (STAT64[o] === undefined) {
        this.regs[i] = 0;
      }
      return v;
    }
    return this.regs[i];
  }

  private writeReg(o: number, v: number): void {
    if (!KNOWN.has(o)) {
      this.host.guestError(`e1000: write of reserved register 0x${o.toString(16)}`);
      return;
    }
    if (READ_ONLY.has(o)) return;
    const i = r32(o);
    switch (o) {
      case REG.CTRL: {
        const old = this.regs[i];
        if (v & CTRL_RST) {
          this.deviceReset();
          return;
        }
        this.regs[i] = v;
        if (old & CTRL_PHY_RST && !(v & CTRL_PHY_RST)) {
          // PHY reset released: registers to defaults, negotiation starts again.
          this.phy.reset(false);
          this.restartAutoneg();
        }
        return;
      }
      case REG.EECD:
        this.eeprom.write(v);
        return;
      case REG.MDIC:
        this.mdic(v);
        return;
      case REG.ICR:
        this.regs[i] &= ~v; // write 1 to clear
        this.updateIrq();
        return;
      case REG.ICS:
        this.setCause(v & ICR_VALID);
        return;
      case REG.IMS:
        this.regs[r32(REG.IMS)] = (this.regs[r32(REG.IMS)] | v) & ICR_VALID;
        this.updateIrq();
        return;
      case REG.IMC:
        this.regs[r32(REG.IMS)] &= ~v;
        this.updateIrq();
        return;
      case REG.ITR: case REG.RADV: case REG.TIDV: case REG.TADV:
        this.regs[i] = v & 0xffff;
        return;
      case REG.RDTR:
        this.regs[i] = v & 0xffff;
        if (v & 0x80000000) this.rxDelayExpired(); // FPD: flush the pending receive interrupt
        return;
      case REG.RDLEN: case REG.TDLEN:
        this.regs[i] = v & RING_LEN_MASK;
        return;
      case REG.RDBAL: case REG.TDBAL:
        this.regs[i] = v & ~0xf;
        return;
      case REG.RDH: case REG.TDH:
        this.regs[i] = v & 0xffff;
        return;
      case REG.RDT:
        this.regs[i] = v & 0xffff;
        this.drainRxFifo();
        return;
      case REG.TDT:
        this.regs[i] = v & 0xffff;
        this.startTx();
        return;
      case REG.RCTL:
        this.regs[i] = v;
        this.drainRxFifo();
        return;
      case REG.TCTL:
        this.regs[i] = v;
        this.startTx();
        return;
      case REG.WUS:
        this.regs[i] &= ~v; // write 1 to clear
        return;
    }
    this.regs[i] = v;
  }

  private status(): number {
    let s = STATUS_ASDV_1000 | STATUS_MTXCKOK;
    if (this.phy.linkUp) s |= STATUS_LU | STATUS_FD | STATUS_SPEED_1000;
    return s >>> 0;
  }

  /** The MAC part of a reset (CTRL.RST and power-on): registers to their defaults. */
  private macReset(): void {
    this.regs.fill(0);
    this.regs[r32(REG.CTRL)] = (1 << 20) | (1 << 18) | 0x200 | 0x40; // SWDPIN2, SWDPIN0, SPEED 1000, SLU
    this.regs[r32(REG.PBA)] = 0x00100030; // 48 KiB receive, 16 KiB transmit
    this.regs[r32(REG.LEDCTL)] = 0x602;
    this.regs[r32(REG.MANC)] = 0x00060000 | (1 << 13) | (1 << 8); // as QEMU's default
    this.regs[r32(REG.VET)] = 0x8100;
    // The EEPROM's Ethernet address is loaded into RAL0/RAH0 (address valid).
    const m = this.mac;
    this.regs[r32(REG.RA)] = (m[0] | (m[1] << 8) | (m[2] << 16) | (m[3] << 24)) >>> 0;
    this.regs[r32(REG.RA) + 1] = (m[4] | (m[5] << 8) | RAH_AV) >>> 0;
  }

  private deviceReset(): void {
    for (const t of [this.itrTimer, this.rdtrTimer, this.radvTimer, this.tidvTimer, this.tadvTimer, this.txTimer]) t.cancel();
    this.tx.reset();
    this.rxFifo = [];
    this.rxFifoBytes = 0;
    this.macReset();
    this.updateIrq();
  }

  private mdic(v: number): void {
    const phyAddr = (v >>> MDIC_PHY_SHIFT) & 0x1f;
    const reg = (v >>> MDIC_REG_SHIFT) & 0x1f;
    let out = v & ~(MDIC_READY | MDIC_ERROR);
    if (phyAddr !== 1) {
      out |= MDIC_ERROR; // no PHY at that address
    } else if ((v & (3 << 26)) === MDIC_OP_READ) {
      const r = this.phy.read(reg);
      if (r === undefined) out |= MDIC_ERROR;
      else out = (out & ~0xffff) | r;
    } else if ((v & (3 << 26)) === MDIC_OP_WRITE) {
      const res = this.phy.write(reg, v & 0xffff);
      if (res === false) out |= MDIC_ERROR;
      else if (res === 'restart-an') this.restartAutoneg();
    } else {
      out |= MDIC_ERROR;
    }
    this.regs[r32(REG.MDIC)] = (out | MDIC_READY) >>> 0;
    if (v & MDIC_IE) this.setCause(ICR_MDAC);
  }

  private restartAutoneg(): void {
    const wasUp = this.phy.linkUp;
    this.phy.setLink(false, false);
    if (wasUp) this.setCause(ICR_LSC);
    if (this.mediumUp) this.anTimer.setDeadline(this.host.clock.now() + AUTONEG_NS);
  }

  private autonegDone(): void {
    if (!this.mediumUp) return;
    this.phy.setLink(true, true);
    this.setCause(ICR_LSC);
  }

  // ---- interrupts ----

  private setCause(bits: number): void {
    this.regs[r32(REG.ICR)] |= bits & ICR_VALID;
    this.updateIrq();
  }

  /**
   * INTA follows ICR & IMS, except that with ITR non-zero a rising edge inside the throttling
   * window (ITR × 256 ns from the previous assertion) waits for the window to end.
   */
  private updateIrq(): void {
    const pending = (this.regs[r32(REG.ICR)] & this.regs[r32(REG.IMS)]) !== 0;
    if (!pending) {
      if (this.irqLevel) {
        this.irqLevel = false;
        this.irq.set(false);
      }
      return;
    }
    if (this.irqLevel || this.itrTimer.pending) return;
    this.irqLevel = true;
    this.irq.set(true);
    const itr = this.regs[r32(REG.ITR)] & 0xffff;
    if (itr) this.itrTimer.setDeadline(this.host.clock.now() + itr * 256);
  }

  private rxDelayExpired(): void {
    const armed = this.rdtrTimer.pending || this.radvTimer.pending;
    this.rdtrTimer.cancel();
    this.radvTimer.cancel();
    if (armed || this.rxDelayOwed) {
      this.rxDelayOwed = false;
      this.setCause(ICR_RXT0);
    }
  }
  private rxDelayOwed = false;

  private txDelayExpired(): void {
    this.tidvTimer.cancel();
    this.tadvTimer.cancel();
    if (this.txDelayOwed) {
      this.txDelayOwed = false;
      this.setCause(ICR_TXDW);
    }
  }
  private txDelayOwed = false;

  // ---- DMA ----

  private dmaRead(addr: number, into: Uint8Array): boolean {
    if (!this.memory) return false;
    if (this.inTx) this.sliceBytes += into.length;
    return this.memory.read(addr, into);
  }

  private dmaWrite(addr: number, from: Uint8Array): boolean {
    if (!this.memory) return false;
    return this.memory.write(addr, from);
  }

  private ringBase(lo: number, hi: number): number {
    return this.regs[r32(hi)] * 0x100000000 + (this.regs[r32(lo)] & ~0xf);
  }

  // ---- transmit ----

  private startTx(): void {
    if (this.inTx || !(this.regs[r32(REG.TCTL)] & TCTL_EN)) return;
    const count = this.regs[r32(REG.TDLEN)] / DESC_SIZE;
    let head = this.regs[r32(REG.TDH)];
    const tail = this.regs[r32(REG.TDT)];
    if (head === tail) return;
    if (count === 0 || head >= count || tail >= count) {
      this.host.guestError(`e1000: transmit ring TDLEN 0x${(count * DESC_SIZE).toString(16)} TDH ${head} TDT ${tail} inconsistent; not processed`);
      return;
    }
    const base = this.ringBase(REG.TDBAL, REG.TDBAH);
    const desc = new Uint8Array(DESC_SIZE);
    let immediate = false;
    let delayed = false;
    this.sliceFrames = 0;
    this.sliceBytes = 0;
    this.txTimer.cancel();
    this.inTx = true;
    try {
      // At most one ring's worth of descriptors per doorbell.
      for (let n = 0; n < count && head !== tail; n++) {
        const addr = base + head * DESC_SIZE;
        if (!this.dmaRead(addr, desc)) {
          this.host.guestError(`e1000: transmit descriptor at 0x${addr.toString(16)} outside guest RAM; transmit stopped`);
          break;
        }
        const res = this.tx.process(desc);
        if (res.writeBack) {
          // DD into the status byte; the rest of the upper dword is written back unchanged.
          const upper = (getLE32(desc, 12) | TXD_STAT_DD) & ~0x0e;
          const st = new Uint8Array(4);
          new DataView(st.buffer).setUint32(0, upper >>> 0, true);
          this.dmaWrite(addr + 12, st);
          const idv = this.regs[r32(REG.TIDV)] & 0xffff;
          if (res.delayed && idv) delayed = true;
          else immediate = true;
        }
        head = (head + 1) % count;
        this.regs[r32(REG.TDH)] = head;
        if (head !== tail && (this.sliceFrames >= TX_BUDGET_FRAMES || this.sliceBytes >= TX_BUDGET_BYTES)) {
          // The wire is busy: carry on a little later in virtual time.
          this.txTimer.setDeadline(this.host.clock.now() + TX_CONTINUE_NS);
          break;
        }
      }
    } finally {
      this.inTx = false;
    }
    let cause = head === tail ? ICR_TXQE : 0;
    if (immediate) {
      this.txDelayOwed = false;
      this.tidvTimer.cancel();
      this.tadvTimer.cancel();
      cause |= ICR_TXDW;
    } else if (delayed) {
      const now = this.host.clock.now();
      this.txDelayOwed = true;
      this.tidvTimer.setDeadline(now + (this.regs[r32(REG.TIDV)] & 0xffff) * 1024);
      const adv = this.regs[r32(REG.TADV)] & 0xffff;
      if (adv && !this.tadvTimer.pending) this.tadvTimer.setDeadline(now + adv * 1024);
    }
    if (cause) this.setCause(cause);
    const later = this.deferred;
    this.deferred = [];
    for (const f of later) this.receive(padFrame(f));
  }

  private transmitFrame(frame: Uint8Array): void {
    this.sliceFrames++;
    this.sliceBytes += frame.length;
    this.counters.txFrames++;
    this.countTx(frame);
    if ((this.regs[r32(REG.RCTL)] & RCTL_LBM) !== 0) {
      // MAC loopback: the frame comes straight back to the receiver, nothing reaches the wire.
      this.deferred.push(frame);
      return;
    }
    if (this.phy.linkUp) this.port?.send(frame);
  }

  // ---- receive ----

  private receive(frame: Uint8Array): void {
    const rctl = this.regs[r32(REG.RCTL)];
    if (!(rctl & RCTL_EN) || !this.phy.linkUp) return;
    const max = rctl & RCTL_LPE ? MAX_FRAME_LPE : MAX_FRAME_VLAN;
    if (frame.length > max && !(rctl & RCTL_SBP)) {
      this.count(STAT.ROC);
      return;
    }
    if (frame.length < ETH_ZLEN) {
      this.count(STAT.RUC);
      return;
    }
    if (!rxFilterAccepts(this.regs, frame)) return;
    if (this.rxFifo.length === 0 && this.deliver(frame)) return;
    // No free descriptors: hold the frame in the receive packet buffer.
    this.count(STAT.RNBC);
    if (this.rxFifoBytes + frame.length > RX_FIFO_BYTES) {
      this.count(STAT.MPC);
      this.setCause(ICR_RXO);
      return;
    }
    this.rxFifo.push(frame.slice());
    this.rxFifoBytes += frame.length;
  }

  private drainRxFifo(): void {
    while (this.rxFifo.length) {
      const rctl = this.regs[r32(REG.RCTL)];
      if (!(rctl & RCTL_EN)) return;
      if (!this.deliver(this.rxFifo[0])) return;
      const f = this.rxFifo.shift()!;
      this.rxFifoBytes -= f.length;
    }
  }

  /** Put one frame into receive descriptors; false if there are not enough free ones. */
  private deliver(input: Uint8Array): boolean {
    const rctl = this.regs[r32(REG.RCTL)];
    const count = this.regs[r32(REG.RDLEN)] / DESC_SIZE;
    const head = this.regs[r32(REG.RDH)];
    const tail = this.regs[r32(REG.RDT)];
    if (count === 0 || head >= count || tail >= count) {
      if (count !== 0) this.host.guestError(`e1000: receive ring RDH ${head} RDT ${tail} outside ${count} descriptors`);
      return false;
    }
    const free = (tail - head + count) % count;
    let frame = input;
    let special = 0;
    let vp = 0;
    if (this.regs[r32(REG.CTRL)] & CTRL_VME && frame.length >= 18 && getU16(frame, 12) === (this.regs[r32(REG.VET)] & 0xffff)) {
      // VLAN tag stripped into the descriptor's special field.
      special = getU16(frame, 14);
      vp = RXD_STAT_VP;
      const s = new Uint8Array(frame.length - 4);
      s.set(frame.subarray(0, 12));
      s.set(frame.subarray(16), 12);
      frame = s;
    }
    const withFcs = !(rctl & RCTL_SECRC);
    const total = frame.length + (withFcs ? 4 : 0);
    const bsize = rxBufferSize(rctl);
    const need = Math.ceil(total / bsize);
    if (need > free) return false;
    let data = frame;
    if (withFcs) {
      data = new Uint8Array(total);
      data.set(frame);
      new DataView(data.buffer).setUint32(frame.length, ethernetFcs(frame), true);
    }
    const { status: csStatus, errors } = rxChecksumStatus(this.regs[r32(REG.RXCSUM)], frame);
    const base = this.ringBase(REG.RDBAL, REG.RDBAH);
    const desc = new Uint8Array(DESC_SIZE);
    const wb = new Uint8Array(8);
    const wv = new DataView(wb.buffer);
    let h = head;
    let off = 0;
    for (let used = 0; used < free && off < total; used++) {
      const addr = base + h * DESC_SIZE;
      if (!this.dmaRead(addr, desc)) {
        this.host.guestError(`e1000: receive descriptor at 0x${addr.toString(16)} outside guest RAM`);
        break;
      }
      const buf = getLE32(desc, 0) + getLE32(desc, 4) * 0x100000000;
      const n = Math.min(bsize, total - off);
      if (buf !== 0) {
        if (!this.dmaWrite(buf, data.subarray(off, off + n))) this.host.guestError(`e1000: receive buffer at 0x${buf.toString(16)} outside guest RAM`);
        off += n;
      }
      const last = off >= total;
      wv.setUint16(0, buf !== 0 ? n : 0, true);
      wv.setUint16(2, last ? onesSum(frame, Math.min(this.regs[r32(REG.RXCSUM)] & RXCSUM_PCSS, frame.length), frame.length) : 0, true);
      wb[4] = RXD_STAT_DD | vp | (last ? RXD_STAT_EOP | csStatus : 0);
      wb[5] = last ? errors : 0;
      wv.setUint16(6, special, true);
      this.dmaWrite(addr + 8, wb);
      h = (h + 1) % count;
    }
    this.regs[r32(REG.RDH)] = h;
    if (off < total) {
      // Ran out of usable descriptors midway (null buffers): the rest of the frame is lost.
      this.count(STAT.MPC);
      this.setCause(ICR_RXO);
      return true;
    }
    this.countRx(frame, total);
    let cause = 0;
    const left = (tail - h + count) % count;
    const shift = ((rctl >>> RCTL_RDMTS_SHIFT) & 3) + 1;
    if (left * DESC_SIZE <= this.regs[r32(REG.RDLEN)] >>> shift) cause |= ICR_RXDMT0;
    const rdtr = this.regs[r32(REG.RDTR)] & 0xffff;
    if (rdtr === 0) {
      cause |= ICR_RXT0;
    } else {
      // Packet timer restarts with every frame; the absolute timer runs from the first.
      const now = this.host.clock.now();
      this.rxDelayOwed = true;
      this.rdtrTimer.setDeadline(now + rdtr * 1024);
      const radv = this.regs[r32(REG.RADV)] & 0xffff;
      if (radv && !this.radvTimer.pending) this.radvTimer.setDeadline(now + radv * 1024);
    }
    if (cause) this.setCause(cause);
    return true;
  }

  // ---- statistics ----

  /** Saturating increment of a 32-bit counter. */
  private count(o: number, by = 1): void {
    const i = r32(o);
    this.regs[i] = Math.min(0xffffffff, this.regs[i] + by);
  }

  private add64(lo: number, by: number): void {
    const i = r32(lo);
    const sum = this.regs[i] + by;
    this.regs[i] = sum >>> 0;
    if (sum > 0xffffffff) this.regs[i + 1] = Math.min(0xffffffff, this.regs[i + 1] + Math.floor(sum / 0x100000000));
  }

  private sizeBin(len: number, base: number): void {
    const bins = [64, 127, 255, 511, 1023];
    let k = 0;
    while (k < bins.length && len > bins[k]) k++;
    this.count(base + 4 * k);
  }

  private countRx(frame: Uint8Array, octets: number): void {
    this.counters.rxFrames++;
    const withFcs = frame.length + 4;
    this.count(STAT.GPRC);
    this.count(STAT.TPR);
    this.add64(STAT.GORCL, octets);
    this.add64(STAT.TORL, octets);
    if (frame[0] & 1) this.count(frame.subarray(0, 6).every((b) => b === 0xff) ? STAT.BPRC : STAT.MPRC);
    this.sizeBin(withFcs, STAT.PRC64);
  }

  private countTx(frame: Uint8Array): void {
    const octets = Math.max(frame.length, ETH_ZLEN) + 4;
    this.count(STAT.GPTC);
    this.count(STAT.TPT);
    this.add64(STAT.GOTCL, octets);
    this.add64(STAT.TOTL, octets);
    if (frame[0] & 1) this.count(frame.subarray(0, 6).every((b) => b === 0xff) ? STAT.BPTC : STAT.MPTC);
    this.sizeBin(octets, STAT.PTC64);
  }

  // ---- state ----

  saveState(): DeviceState {
    const timer = (t: Timer) => (t.pending ? 1 : 0);
    return {
      type: 'e1000',
      version: E1000_STATE_VERSION,
      data: {
        regs: sparse(this.regs),
        ioaddr: this.ioaddr,
        eeprom: this.eeprom.saveState(),
        phy: Array.from(this.phy.regs),
        tx: this.tx.saveState(),
        rxFifo: this.rxFifo.map((f) => Array.from(f)),
        irqLevel: this.irqLevel,
        rxDelayOwed: this.rxDelayOwed,
        txDelayOwed: this.txDelayOwed,
        timers: [timer(this.itrTimer), timer(this.rdtrTimer), timer(this.radvTimer), timer(this.tidvTimer), timer(this.tadvTimer), timer(this.anTimer), timer(this.txTimer)],
      },
    };
  }

  loadState(state: DeviceState): void {
    if (state.type !== 'e1000' || state.version !== E1000_STATE_VERSION) throw new Error(`e1000: cannot load state ${state.type} v${state.version}`);
    const d = state.data;
    const regs = d.regs;
    if (!regs || typeof regs !== 'object') throw new Error('e1000: bad state field regs');
    this.regs.fill(0);
    for (const [k, v] of Object.entries(regs as Record<string, unknown>)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= this.regs.length || typeof v !== 'number') throw new Error('e1000: bad state field regs');
      this.regs[i] = v >>> 0;
    }
    this.ioaddr = Number(d.ioaddr) & 0x1ffff;
    this.eeprom.loadState((d.eeprom ?? {}) as Record<string, unknown>);
    const phy = Array.isArray(d.phy) ? (d.phy as unknown[]) : [];
    if (phy.length !== 32) throw new Error('e1000: bad state field phy');
    phy.forEach((v, i) => (this.phy.regs[i] = Number(v) & 0xffff));
    this.tx.loadState((d.tx ?? {}) as Record<string, unknown>);
    this.rxFifo = [];
    this.rxFifoBytes = 0;
    for (const f of Array.isArray(d.rxFifo) ? (d.rxFifo as unknown[]) : []) {
      if (!Array.isArray(f) || f.length > MAX_FRAME_LPE || this.rxFifoBytes + f.length > RX_FIFO_BYTES) continue;
      const b = Uint8Array.from(f as unknown[], (x) => Number(x) & 0xff);
      this.rxFifo.push(b);
      this.rxFifoBytes += b.length;
    }
    this.rxDelayOwed = d.rxDelayOwed === true;
    this.txDelayOwed = d.txDelayOwed === true;
    const t = Array.isArray(d.timers) ? (d.timers as unknown[]) : [];
    const now = this.host.clock.now();
    const timers: [Timer, number][] = [
      [this.itrTimer, (this.regs[r32(REG.ITR)] & 0xffff) * 256],
      [this.rdtrTimer, (this.regs[r32(REG.RDTR)] & 0xffff) * 1024],
      [this.radvTimer, (this.regs[r32(REG.RADV)] & 0xffff) * 1024],
      [this.tidvTimer, (this.regs[r32(REG.TIDV)] & 0xffff) * 1024],
      [this.tadvTimer, (this.regs[r32(REG.TADV)] & 0xffff) * 1024],
      [this.anTimer, AUTONEG_NS],
      [this.txTimer, TX_CONTINUE_NS],
    ];
    // Timers restart with their full period after a restore (the remaining time is not saved).
    timers.forEach(([tm, period], i) => (t[i] === 1 ? tm.setDeadline(now + period) : tm.cancel()));
    this.irqLevel = d.irqLevel === true;
    this.irq.set(this.irqLevel);
    this.updateIrq();
  }
}

/** Non-zero entries of the register file, keyed by dword index. */
function sparse(a: Uint32Array): Record<string, number> {
  const o: Record<string, number> = {};
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) o[i] = a[i];
  return o;
}
