/**
 * 82077AA constants (datasheet 290166 section 2 registers, section 5 status registers ST0-ST3),
 * the command table (opcode, length, allowed flag bits) and the snapshot shape of the controller.
 */

// Main status register.
export const MSR_RQM = 0x80;
export const MSR_DIO = 0x40;
export const MSR_NDMA = 0x20;
export const MSR_CB = 0x10;
// ST0.
export const ST0_ABNORMAL = 0x40;
export const ST0_INVALID = 0x80;
export const ST0_SE = 0x20;
export const ST0_EC = 0x10;
export const ST0_READY_CHANGE = 0xc0;
// ST1.
export const ST1_MA = 0x01;
export const ST1_NW = 0x02;
export const ST1_ND = 0x04;
export const ST1_OR = 0x10;
export const ST1_EN = 0x80;
// ST2.
export const ST2_BC = 0x02;
export const ST2_WC = 0x10;
// DOR.
export const DOR_NRESET = 0x04;
export const DOR_DMAEN = 0x08;

/**
 * Commands by the opcode's low five bits: length in bytes including the opcode, and the opcode
 * bits that may be set (MT 80h, MFM 40h, SK 20h; relative-seek and LOCK bits).
 */
export const COMMANDS: Record<number, { len: number; allowed: number; name: string }> = {
  0x02: { len: 9, allowed: 0x7f, name: 'READ TRACK' },
  0x03: { len: 3, allowed: 0x1f, name: 'SPECIFY' },
  0x04: { len: 2, allowed: 0x1f, name: 'SENSE DRIVE STATUS' },
  0x05: { len: 9, allowed: 0xdf, name: 'WRITE DATA' },
  0x06: { len: 9, allowed: 0xff, name: 'READ DATA' },
  0x07: { len: 2, allowed: 0x1f, name: 'RECALIBRATE' },
  0x08: { len: 1, allowed: 0x1f, name: 'SENSE INTERRUPT STATUS' },
  0x09: { len: 9, allowed: 0xdf, name: 'WRITE DELETED DATA' },
  0x0a: { len: 2, allowed: 0x5f, name: 'READ ID' },
  0x0c: { len: 9, allowed: 0xff, name: 'READ DELETED DATA' },
  0x0d: { len: 6, allowed: 0x5f, name: 'FORMAT TRACK' },
  0x0e: { len: 1, allowed: 0x1f, name: 'DUMPREG' },
  0x0f: { len: 3, allowed: 0xcf, name: 'SEEK' },
  0x10: { len: 1, allowed: 0x1f, name: 'VERSION' },
  0x12: { len: 2, allowed: 0x1f, name: 'PERPENDICULAR MODE' },
  0x13: { len: 4, allowed: 0x1f, name: 'CONFIGURE' },
  0x14: { len: 1, allowed: 0x9f, name: 'LOCK' },
};

export type Phase = 'command' | 'execution' | 'result';

export interface FdcState {
  dor: number;
  tdr: number;
  rate: number;
  dsrPower: number;
  phase: Phase;
  command: number[];
  result: number[];
  resultPos: number;
  intPending: boolean;
  resetSenses: number;
  seekStatus: number[];
  specify: [number, number];
  config: number;
  pretrk: number;
  lock: boolean;
  perpendicular: number;
  eot: number;
  busy: boolean;
  drives: { track: number; head: number; idSector: number; changed: boolean }[];
}
