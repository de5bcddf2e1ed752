/**
 * The 82540EM's serial EEPROM (a 64-word Microwire 93C46, read either by bit-banging EECD or
 * through EERD) and its integrated PHY (register set of the Marvell 88E1011 that Linux's
 * e1000_detect_gig_phy() identifies as M88E1011_I_PHY_ID 0x01410C20), reached through MDIC.
 *
 * EEPROM layout (8254x SDM table 5-2): words 0-2 Ethernet address, 0x0A/0x0F initialization
 * control words, 0x0B/0x0C subsystem ID / subsystem vendor, 0x0D/0x0E device / vendor ID,
 * word 0x3F the checksum chosen so that words 0x00-0x3F sum to 0xBABA (Linux
 * e1000_validate_eeprom_checksum). The remaining words are the image QEMU's e1000 ships.
 * The Microwire protocol follows the 93C46 data sheet as Linux's e1000_shift_out_ee_bits /
 * e1000_shift_in_ee_bits drive it: CS high, start bit + READ opcode (110b) and 6 address bits
 * on rising SK edges, then 16 data bits, most significant first, on DO.
 */
import { EECD_CS, EECD_DI, EECD_DO, EECD_FWE, EECD_GNT, EECD_PRES, EECD_REQ, EECD_SK } from './e1000-regs.js';

export const EEPROM_WORDS = 64;
export const EEPROM_SUM = 0xbaba;

/** Build the EEPROM image for `mac` with PCI IDs and the checksum word. */
export function buildEeprom(mac: Uint8Array, deviceId: number, subsystemId: number, subsystemVendor: number): Uint16Array {
  const w = new Uint16Array(EEPROM_WORDS);
  // QEMU's e1000_eeprom_template, words 3-0x3E.
  const template = [
    0x0000, 0x0000, 0x0000, 0x0000, 0xffff, 0x0000, 0x0000, 0x0000,
    0x3000, 0x1000, 0x6403, 0x0000, 0x0000, 0x0000, 0x0000, 0x3040,
    0x0008, 0x2000, 0x7e14, 0x0048, 0x1000, 0x00d8, 0x0000, 0x2700,
    0x6cc9, 0x3150, 0x0722, 0x040b, 0x0984, 0x0000, 0xc000, 0x0706,
    0x1008, 0x0000, 0x0f04, 0x7fff, 0x4d01, 0xffff, 0xffff, 0xffff,
    0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
    0x0100, 0x4000, 0x121c, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
    0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0x0000,
  ];
  w.set(template);
  for (let i = 0; i < 3; i++) w[i] = mac[2 * i] | (mac[2 * i + 1] << 8);
  w[0x0b] = subsystemId;
  w[0x0c] = subsystemVendor;
  w[0x0d] = deviceId;
  w[0x0e] = 0x8086;
  let sum = 0;
  for (let i = 0; i < EEPROM_WORDS - 1; i++) sum = (sum + w[i]) & 0xffff;
  w[EEPROM_WORDS - 1] = (EEPROM_SUM - sum) & 0xffff;
  return w;
}

const READ_OPCODE = 6; // start bit 1 + opcode 10

/** The Microwire side of EECD. */
export class MicrowireEeprom {
  /** Last EECD value written (the bits software drives). */
  private eecd = 0;
  private bitsIn = 0;
  private valueIn = 0;
  private bitOut = 0;
  private reading = false;

  constructor(readonly words: Uint16Array) {}

  reset(): void {
    this.eecd = 0;
    this.bitsIn = this.valueIn = this.bitOut = 0;
    this.reading = false;
  }

  /** EECD as read: driven bits, EEPROM present, access granted while requested, DO. */
  read(): number {
    let v = (this.eecd & (EECD_SK | EECD_CS | EECD_DI | EECD_FWE | EECD_REQ)) | EECD_PRES;
    if (this.eecd & EECD_REQ) v |= EECD_GNT;
    // DO idles high (pulled up); while reading it carries the addressed bit, MSB first.
    if (!this.reading || (this.words[(this.bitOut >> 4) & 0x3f] >> (15 - (this.bitOut & 15))) & 1) v |= EECD_DO;
    return v;
  }

  write(v: number): void {
    const old = this.eecd;
    this.eecd = v;
    if (!(v & EECD_CS)) return; // chip not selected
    if (!(old & EECD_CS)) {
      // Rising CS: start of a new instruction.
      this.bitsIn = this.valueIn = this.bitOut = 0;
      this.reading = false;
    }
    if (!((old ^ v) & EECD_SK)) return; // no clock edge
    if (!(v & EECD_SK)) {
      // Falling edge: the next output bit is presented.
      this.bitOut++;
      return;
    }
    // Rising edge: sample DI.
    this.valueIn = ((this.valueIn << 1) | (v & EECD_DI ? 1 : 0)) & 0xffff;
    if (++this.bitsIn === 9 && !this.reading) {
      // 3 opcode bits + 6 address bits received.
      this.reading = ((this.valueIn >> 6) & 7) === READ_OPCODE;
      this.bitOut = ((this.valueIn & 0x3f) << 4) - 1;
    }
  }

  saveState(): Record<string, number | boolean> {
    return { eecd: this.eecd, bitsIn: this.bitsIn, valueIn: this.valueIn, bitOut: this.bitOut, reading: this.reading };
  }
  loadState(d: Record<string, unknown>): void {
    const n = (k: string, max: number) => (typeof d[k] === 'number' && Number.isInteger(d[k]) ? Math.max(-1, Math.min(max, d[k] as number)) : 0);
    this.eecd = n('eecd', 0xffffffff) >>> 0;
    this.bitsIn = n('bitsIn', 0xffff);
    this.valueIn = n('valueIn', 0xffff);
    this.bitOut = n('bitOut', 0xffff);
    this.reading = d.reading === true;
  }
}

// MII registers (IEEE 802.3 clause 22) and the Marvell extras.
export const PHY = {
  BMCR: 0x00, BMSR: 0x01, ID1: 0x02, ID2: 0x03, ANAR: 0x04, ANLPAR: 0x05, ANER: 0x06, ANNP: 0x07,
  LPNP: 0x08, CTRL1000: 0x09, STAT1000: 0x0a, EXTSTAT: 0x0f, M88_SPEC_CTRL: 0x10, M88_SPEC_STATUS: 0x11,
  M88_INT_ENABLE: 0x12, M88_INT_STATUS: 0x13, M88_EXT_SPEC_CTRL: 0x14, M88_RX_ERR_CNTR: 0x15,
  M88_PAGE: 0x1d, M88_GEN_CONTROL: 0x1e,
} as const;

export const BMCR_RESET = 0x8000, BMCR_ANENABLE = 0x1000, BMCR_ANRESTART = 0x0200;
export const BMSR_LSTATUS = 0x0004, BMSR_ANEGCOMPLETE = 0x0020;
const M88_STATUS_LINK = 0x0400;

/** Power-on values (QEMU's phy_reg_init for the 82540EM). */
const PHY_INIT: Record<number, number> = {
  [PHY.BMCR]: 0x1140, // autoneg enabled, 1000 Mb/s full duplex
  [PHY.BMSR]: 0x796d, // 10/100 half+full, autoneg capable/complete, link, extended status
  [PHY.ID1]: 0x0141,
  [PHY.ID2]: 0x0c20,
  [PHY.ANAR]: 0x0de1,
  [PHY.ANLPAR]: 0x03e0,
  [PHY.ANER]: 0x0001,
  [PHY.ANNP]: 0x2001,
  [PHY.CTRL1000]: 0x0300,
  [PHY.STAT1000]: 0x3c00,
  [PHY.EXTSTAT]: 0x3000,
  [PHY.M88_SPEC_CTRL]: 0x0360,
  [PHY.M88_SPEC_STATUS]: 0xac00,
  [PHY.M88_EXT_SPEC_CTRL]: 0x0d60,
};
const READABLE = new Set<number>(Object.values(PHY));
const WRITABLE = new Set<number>([PHY.BMCR, PHY.ANAR, PHY.ANNP, PHY.CTRL1000, PHY.M88_SPEC_CTRL, PHY.M88_INT_ENABLE, PHY.M88_EXT_SPEC_CTRL, PHY.M88_PAGE, PHY.M88_GEN_CONTROL]);

export class M88Phy {
  readonly regs = new Uint16Array(32);
  constructor() {
    this.reset(true);
  }

  reset(link: boolean): void {
    this.regs.fill(0);
    for (const [r, v] of Object.entries(PHY_INIT)) this.regs[Number(r)] = v;
    this.setLink(link, true);
  }

  /** Link (and autonegotiation result) as the medium reports it. */
  setLink(up: boolean, anComplete: boolean): void {
    if (up) this.regs[PHY.BMSR] |= BMSR_LSTATUS;
    else this.regs[PHY.BMSR] &= ~BMSR_LSTATUS;
    if (anComplete) this.regs[PHY.BMSR] |= BMSR_ANEGCOMPLETE;
    else this.regs[PHY.BMSR] &= ~BMSR_ANEGCOMPLETE;
    if (up) this.regs[PHY.M88_SPEC_STATUS] |= M88_STATUS_LINK;
    else this.regs[PHY.M88_SPEC_STATUS] &= ~M88_STATUS_LINK;
    // Link partner ability is only valid after a completed negotiation.
    this.regs[PHY.ANLPAR] = up && anComplete ? PHY_INIT[PHY.ANLPAR] : 0;
    this.regs[PHY.STAT1000] = up && anComplete ? PHY_INIT[PHY.STAT1000] : 0;
  }

  get linkUp(): boolean {
    return (this.regs[PHY.BMSR] & BMSR_LSTATUS) !== 0;
  }

  /** MDIO read; undefined for registers the PHY does not implement (MDIC.E). */
  read(reg: number): number | undefined {
    if (!READABLE.has(reg)) return undefined;
    return this.regs[reg];
  }

  /**
   * MDIO write; returns false for read-only/unimplemented registers, or 'restart-an' when the
   * write restarts autonegotiation (BMCR.RESTART or a PHY reset with autoneg enabled).
   */
  write(reg: number, value: number): boolean | 'restart-an' {
    if (!WRITABLE.has(reg)) return false;
    value &= 0xffff;
    if (reg === PHY.BMCR) {
      // RESET and RESTART_AN self-clear.
      const an = (value & BMCR_ANENABLE) !== 0;
      this.regs[PHY.BMCR] = value & ~(BMCR_RESET | BMCR_ANRESTART);
      if (an && value & (BMCR_ANRESTART | BMCR_RESET)) return 'restart-an';
      return true;
    }
    this.regs[reg] = value;
    return true;
  }
}
