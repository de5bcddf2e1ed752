/**
 * The cascaded pair of Intel 8259A programmable interrupt controllers of the PC/AT, plus the
 * PIIX3 edge/level control registers (ELCR, ports 0x4D0/0x4D1).
 *
 * Follows the Intel 8259A datasheet (order no. 231468): ICW1-ICW4 initialisation, OCW1 mask,
 * OCW2 EOI / rotation commands, OCW3 register select, poll and special mask mode, automatic EOI
 * with optional rotation, special fully nested mode; and the Intel 82371FB/SB (PIIX/PIIX3)
 * datasheet for the ELCR. The slave's INT output drives the master's IR2; the master's INT is
 * the CPU's INTR pin.
 *
 * Regions: 0 = master (0x20-0x21), 1 = slave (0xA0-0xA1), 2 = ELCR (0x4D0 master, 0x4D1 slave).
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType, PropertySpec } from '../api.js';
import type { InterruptController } from './interfaces.js';
import { checkState, hex, stBool, stNum } from './util.js';

/** One 8259A. */
class I8259 {
  irr = 0;
  isr = 0;
  imr = 0;
  /** Input levels as last seen (edge detection). */
  lastInput = 0;
  /** Which IR input has the lowest priority is (priorityAdd - 1) & 7. */
  priorityAdd = 0;
  vectorBase = 0;
  readIsr = false;
  poll = false;
  specialMask = false;
  /** 0 = operational, 1..3 = expecting ICW2..ICW4. */
  initState = 0;
  needIcw4 = false;
  single = false;
  levelMode = false; // ICW1 LTIM
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  icw3 = 0;
  elcr = 0;

  constructor(readonly master: boolean, readonly elcrMask: number) {}

  reset(): void {
    this.irr = this.isr = this.imr = this.lastInput = 0;
    this.priorityAdd = this.vectorBase = 0;
    this.readIsr = this.poll = this.specialMask = false;
    this.initState = 0;
    this.needIcw4 = this.single = this.levelMode = false;
    this.autoEoi = this.rotateOnAutoEoi = this.specialFullyNested = false;
    this.icw3 = 0;
    this.elcr = 0;
  }

  private isLevel(bit: number): boolean {
    return this.levelMode || (this.elcr & bit) !== 0;
  }

  /** Drive input `n` (0..7) to `level`. */
  setInput(n: number, level: boolean): void {
    const bit = 1 << n;
    if (this.isLevel(bit)) {
      if (level) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (level && !(this.lastInput & bit)) {
      this.irr |= bit;
    }
    if (level) this.lastInput |= bit;
    else this.lastInput &= ~bit;
  }

  /** Priority index (0 = highest) of the highest-priority bit set in `mask`, 8 if none. */
  private priorityOf(mask: number): number {
    if (mask === 0) return 8;
    let p = 0;
    while (!(mask & (1 << ((p + this.priorityAdd) & 7)))) p++;
    return p;
  }

  /** The IR input that would be serviced now, or -1. */
  pending(): number {
    const req = this.irr & ~this.imr;
    const p = this.priorityOf(req);
    if (p === 8) return -1;
    let inService = this.isr;
    // Special mask mode: masked in-service levels do not block lower priorities.
    if (this.specialMask) inService &= ~this.imr;
    // Special fully nested mode: a slave's further requests may interrupt its own service.
    if (this.specialFullyNested && this.master) inService &= ~(1 << 2);
    const cur = this.priorityOf(inService);
    return p < cur ? (p + this.priorityAdd) & 7 : -1;
  }

  /** INTA for input `n`: set ISR (unless auto-EOI) and clear an edge request. */
  acknowledge(n: number): void {
    const bit = 1 << n;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (n + 1) & 7;
    } else {
      this.isr |= bit;
    }
    if (!this.isLevel(bit)) this.irr &= ~bit;
  }

  /** Poll command read: acknowledge the highest request and return 0x80|level, or 0. */
  pollRead(): number {
    this.poll = false;
    const n = this.pending();
    if (n < 0) return 0;
    this.acknowledge(n);
    return 0x80 | n;
  }

  read(offset: number): number {
    if (this.poll) return this.pollRead();
    if (offset === 0) return this.readIsr ? this.isr : this.irr;
    return this.imr;
  }

  /** Returns a message for host.guestError, or undefined. */
  write(offset: number, v: number): string | undefined {
    if (offset === 0) {
      if (v & 0x10) return this.icw1(v);
      if (v & 0x08) {
        // OCW3
        if (v & 0x04) this.poll = true;
        if (v & 0x02) this.readIsr = (v & 1) !== 0;
        if (v & 0x40) this.specialMask = (v & 0x20) !== 0;
        return undefined;
      }
      return this.ocw2(v);
    }
    switch (this.initState) {
      case 0:
        this.imr = v;
        return undefined;
      case 1:
        this.vectorBase = v & 0xf8;
        this.initState = this.single ? (this.needIcw4 ? 3 : 0) : 2;
        return undefined;
      case 2:
        this.icw3 = v;
        this.initState = this.needIcw4 ? 3 : 0;
        return undefined;
      default:
        this.autoEoi = (v & 0x02) !== 0;
        this.specialFullyNested = (v & 0x10) !== 0;
        this.initState = 0;
        return v & 0x01 ? undefined : `ICW4 ${hex(v)} selects MCS-80/85 mode, treated as 8086 mode`;
    }
  }

  private icw1(v: number): string | undefined {
    // Edge sense reset, IMR cleared, IR7 lowest priority, special mask cleared, read IRR.
    this.imr = 0;
    this.isr = 0;
    this.irr &= this.lastInput & this.elcr; // level inputs still asserted stay requested
    this.lastInput = 0;
    this.priorityAdd = 0;
    this.readIsr = false;
    this.poll = false;
    this.specialMask = false;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
    this.needIcw4 = (v & 0x01) !== 0;
    this.single = (v & 0x02) !== 0;
    this.levelMode = (v & 0x08) !== 0;
    this.initState = 1;
    return v & 0x04 ? `ICW1 ${hex(v)}: call address interval 4 ignored (8086 mode)` : undefined;
  }

  private ocw2(v: number): string | undefined {
    const cmd = v >> 5;
    switch (cmd) {
      case 0: // clear rotate in auto-EOI
        this.rotateOnAutoEoi = false;
        return undefined;
      case 4: // set rotate in auto-EOI
        this.rotateOnAutoEoi = true;
        return undefined;
      case 1: // non-specific EOI
      case 5: { // rotate on non-specific EOI
        const p = this.priorityOf(this.isr);
        if (p !== 8) {
          const n = (p + this.priorityAdd) & 7;
          this.isr &= ~(1 << n);
          if (cmd === 5) this.priorityAdd = (n + 1) & 7;
        }
        return undefined;
      }
      case 3: // specific EOI
        this.isr &= ~(1 << (v & 7));
        return undefined;
      case 7: // rotate on specific EOI
        this.isr &= ~(1 << (v & 7));
        this.priorityAdd = ((v & 7) + 1) & 7;
        return undefined;
      case 6: // set priority: IR(v&7) becomes the lowest
        this.priorityAdd = ((v & 7) + 1) & 7;
        return undefined;
      default: // 2: no operation
        return undefined;
    }
  }

  save(): Record<string, unknown> {
    const { irr, isr, imr, lastInput, priorityAdd, vectorBase, readIsr, poll, specialMask, initState,
      needIcw4, single, levelMode, autoEoi, rotateOnAutoEoi, specialFullyNested, icw3, elcr } = this;
    return { irr, isr, imr, lastInput, priorityAdd, vectorBase, readIsr, poll, specialMask, initState,
      needIcw4, single, levelMode, autoEoi, rotateOnAutoEoi, specialFullyNested, icw3, elcr };
  }

  load(d: Record<string, unknown>): void {
    for (const k of ['irr', 'isr', 'imr', 'lastInput', 'vectorBase', 'icw3', 'elcr'] as const) this[k] = stNum(d, k, 0, 255);
    this.priorityAdd = stNum(d, 'priorityAdd', 0, 7);
    this.initState = stNum(d, 'initState', 0, 3);
    for (const k of ['readIsr', 'poll', 'specialMask', 'needIcw4', 'single', 'levelMode', 'autoEoi',
      'rotateOnAutoEoi', 'specialFullyNested'] as const) this[k] = stBool(d, k);
    this.elcr &= this.elcrMask;
  }
}

const TYPE = 'isa-i8259';
const STATE_VERSION = 1;

/** The master/slave 8259A pair with ELCR. */
export class DualPic implements DeviceModel, InterruptController {
  readonly master = new I8259(true, 0xf8); // IRQ 0, 1, 2 are always edge
  readonly slave = new I8259(false, 0xde); // IRQ 8, 13 are always edge
  private intr = false;
  private listener: ((level: boolean) => void) | undefined;

  constructor(private host: DeviceHost) {}

  setOutputListener(listener: (level: boolean) => void): void {
    this.listener = listener;
  }

  /** ISA lines 2 and 9 as driven (both reach the slave's IR1 on the AT). */
  private irq2 = false;
  private irq9 = false;

  setIrq(line: number, level: boolean): void {
    if (!Number.isInteger(line) || line < 0 || line > 15) {
      this.host.guestError(`i8259: setIrq on invalid line ${line}`);
      return;
    }
    if (line === 2 || line === 9) {
      // On the AT the master's IR2 is the cascade; the bus's IRQ 2 pin is wired to IRQ 9.
      if (line === 2) this.irq2 = level;
      else this.irq9 = level;
      this.slave.setInput(1, this.irq2 || this.irq9);
    } else if (line < 8) {
      this.master.setInput(line, level);
    } else {
      this.slave.setInput(line - 8, level);
    }
    this.update();
  }

  hasInterrupt(): boolean {
    return this.intr;
  }

  acknowledge(): number {
    let vector: number;
    const irq = this.master.pending();
    if (irq >= 0) {
      this.master.acknowledge(irq);
      if (irq === 2) {
        let irq2 = this.slave.pending();
        if (irq2 >= 0) this.slave.acknowledge(irq2);
        else irq2 = 7; // spurious IRQ15: no ISR bit set on the slave
        vector = this.slave.vectorBase + irq2;
      } else {
        vector = this.master.vectorBase + irq;
      }
    } else {
      vector = this.master.vectorBase + 7; // spurious IRQ7: no ISR bit set
    }
    this.update();
    return vector;
  }

  /** Recompute the slave→IR2 cascade and the INTR output. */
  private update(): void {
    this.master.setInput(2, this.slave.pending() >= 0);
    const level = this.master.pending() >= 0;
    if (level !== this.intr) {
      this.intr = level;
      this.listener?.(level);
    }
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (size !== 1) {
      this.host.guestError(`i8259: ${size}-byte read at region ${region} offset ${offset}`);
      return size === 2 ? 0xffff : 0xffffffff;
    }
    let v: number;
    if (region === 0 && offset < 2) v = this.master.read(offset);
    else if (region === 1 && offset < 2) v = this.slave.read(offset);
    else if (region === 2 && offset < 2) return offset === 0 ? this.master.elcr : this.slave.elcr;
    else {
      this.host.guestError(`i8259: read of unknown register region ${region} offset ${offset}`);
      return 0xff;
    }
    this.update(); // a poll read acknowledges
    return v;
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (size !== 1) {
      this.host.guestError(`i8259: ${size}-byte write at region ${region} offset ${offset}`);
      return;
    }
    const v = value & 0xff;
    let err: string | undefined;
    if (region === 0 && offset < 2) err = this.master.write(offset, v);
    else if (region === 1 && offset < 2) err = this.slave.write(offset, v);
    else if (region === 2 && offset < 2) {
      const chip = offset === 0 ? this.master : this.slave;
      chip.elcr = v & chip.elcrMask;
    } else err = `write of unknown register region ${region} offset ${offset}`;
    if (err) this.host.guestError(`i8259: ${err}`);
    this.update();
  }

  reset(): void {
    // The chips forget their edge history (as ICW1 would); the ISA line levels are the devices'.
    this.master.reset();
    this.slave.reset();
    this.update();
  }

  saveState(): DeviceState {
    return {
      type: TYPE,
      version: STATE_VERSION,
      data: { master: this.master.save(), slave: this.slave.save(), irq2: this.irq2, irq9: this.irq9 },
    };
  }

  loadState(state: DeviceState): void {
    const d = checkState(state, TYPE, STATE_VERSION);
    this.master.load(d.master as Record<string, unknown>);
    this.slave.load(d.slave as Record<string, unknown>);
    this.irq2 = stBool(d, 'irq2');
    this.irq9 = stBool(d, 'irq9');
    this.intr = false;
    this.update();
  }
}

const properties: Record<string, PropertySpec> = {};

export const picType: DeviceType = {
  name: TYPE,
  class: 'chipset',
  bus: 'isa',
  description: 'Intel 8259A interrupt controllers, master and cascaded slave, with PIIX3 ELCR',
  secure: true,
  secureReason: 'Chipset core emulated in the CPU worker; part of the trusted platform like in QEMU',
  hotpluggable: false,
  capabilities: [],
  properties,
  resources: () => ({
    ports: [
      { name: 'pic-master', base: 0x20, length: 2, accessSizes: [1] },
      { name: 'pic-slave', base: 0xa0, length: 2, accessSizes: [1] },
      { name: 'elcr', base: 0x4d0, length: 2, accessSizes: [1] },
    ],
    mmio: [],
    irqs: [],
  }),
  stateVersion: STATE_VERSION,
  create: (host) => new DualPic(host),
};
