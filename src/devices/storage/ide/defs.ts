/**
 * ATA/ATAPI constants: taskfile status and error bits, device control bits, ATA command
 * opcodes, SCSI/MMC packet opcodes and sense codes. Values from ATA/ATAPI-6 (T13 1410D)
 * sections 7 and 8, SFF-8020i / MMC-3 for the packet commands, SPC-3 for sense data.
 */

/** Status register bits (ATA-6 7.15.6). */
export const ST_ERR = 0x01;
export const ST_DRQ = 0x08;
export const ST_DSC = 0x10; // seek complete (obsolete, still set by real drives)
export const ST_DF = 0x20;
export const ST_DRDY = 0x40;
export const ST_BSY = 0x80;

/** Error register bits (ATA-6 7.9.6). */
export const ER_AMNF = 0x01;
export const ER_ABRT = 0x04;
export const ER_MCR = 0x08;
export const ER_IDNF = 0x10;
export const ER_MC = 0x20;
export const ER_UNC = 0x40;
export const ER_ICRC = 0x80;

/** Device control register bits (ATA-6 7.8). */
export const DC_NIEN = 0x02;
export const DC_SRST = 0x04;
export const DC_HOB = 0x80;

/** Device/head register: bit 4 selects device 1, bit 6 selects LBA addressing. */
export const DH_DEV = 0x10;
export const DH_LBA = 0x40;

/** ATAPI interrupt reason, read through the sector count register. */
export const IR_COD = 0x01;
export const IR_IO = 0x02;

/** ATA command opcodes used here. */
export const CMD = {
  NOP: 0x00,
  DEVICE_RESET: 0x08,
  READ_SECTORS: 0x20,
  READ_SECTORS_NR: 0x21,
  READ_SECTORS_EXT: 0x24,
  READ_DMA_EXT: 0x25,
  READ_MULTIPLE_EXT: 0x29,
  WRITE_SECTORS: 0x30,
  WRITE_SECTORS_NR: 0x31,
  WRITE_SECTORS_EXT: 0x34,
  WRITE_DMA_EXT: 0x35,
  WRITE_MULTIPLE_EXT: 0x39,
  READ_VERIFY: 0x40,
  READ_VERIFY_NR: 0x41,
  READ_VERIFY_EXT: 0x42,
  EXEC_DIAGNOSTIC: 0x90,
  INIT_DEV_PARAMS: 0x91,
  PACKET: 0xa0,
  IDENTIFY_PACKET: 0xa1,
  READ_MULTIPLE: 0xc4,
  WRITE_MULTIPLE: 0xc5,
  SET_MULTIPLE: 0xc6,
  READ_DMA: 0xc8,
  READ_DMA_NR: 0xc9,
  WRITE_DMA: 0xca,
  WRITE_DMA_NR: 0xcb,
  STANDBY_IMMEDIATE: 0xe0,
  IDLE_IMMEDIATE: 0xe1,
  STANDBY: 0xe2,
  IDLE: 0xe3,
  CHECK_POWER_MODE: 0xe5,
  SLEEP: 0xe6,
  FLUSH_CACHE: 0xe7,
  FLUSH_CACHE_EXT: 0xea,
  IDENTIFY: 0xec,
  SET_FEATURES: 0xef,
} as const;

/** Largest READ/WRITE MULTIPLE block this drive supports (IDENTIFY word 47). */
export const MAX_MULT_SECTORS = 16;

/** SCSI sense keys (SPC-3 4.5.6). */
export const SENSE_NONE = 0x0;
export const SENSE_NOT_READY = 0x2;
export const SENSE_MEDIUM_ERROR = 0x3;
export const SENSE_HARDWARE_ERROR = 0x4;
export const SENSE_ILLEGAL_REQUEST = 0x5;
export const SENSE_UNIT_ATTENTION = 0x6;
export const SENSE_ABORTED_COMMAND = 0xb;

/** Additional sense codes (ASC) used here. */
export const ASC_INVALID_OPCODE = 0x20;
export const ASC_LBA_OUT_OF_RANGE = 0x21;
export const ASC_INVALID_FIELD = 0x24;
export const ASC_SAVING_NOT_SUPPORTED = 0x39;
export const ASC_MEDIUM_CHANGED = 0x28;
export const ASC_POWER_ON_RESET = 0x29;
export const ASC_MEDIUM_NOT_PRESENT = 0x3a;
export const ASC_UNRECOVERED_READ = 0x11;
export const ASC_MEDIUM_REMOVAL_PREVENTED = 0x53;

/** MMC packet opcodes. */
export const PKT = {
  TEST_UNIT_READY: 0x00,
  REQUEST_SENSE: 0x03,
  INQUIRY: 0x12,
  MODE_SELECT_6: 0x15,
  MODE_SENSE_6: 0x1a,
  START_STOP_UNIT: 0x1b,
  PREVENT_ALLOW: 0x1e,
  READ_CAPACITY: 0x25,
  READ_10: 0x28,
  SEEK_10: 0x2b,
  READ_SUBCHANNEL: 0x42,
  READ_TOC: 0x43,
  GET_CONFIGURATION: 0x46,
  GET_EVENT_STATUS: 0x4a,
  READ_DISC_INFO: 0x51,
  MODE_SELECT_10: 0x55,
  MODE_SENSE_10: 0x5a,
  READ_12: 0xa8,
  SET_CD_SPEED: 0xbb,
  MECHANISM_STATUS: 0xbd,
  READ_CD: 0xbe,
} as const;

/** CD sectors beyond this count make the medium a DVD (80-minute CD: 80*60*75 frames). */
export const CD_MAX_SECTORS = 80 * 60 * 75;
