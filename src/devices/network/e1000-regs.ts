/**
 * Register map of the Intel 82540EM Gigabit Ethernet controller (8254x Family of Gigabit
 * Ethernet Controllers Software Developer's Manual, section 13 "Register Descriptions"; the
 * names are the manual's and Linux's e1000_hw.h). Offsets are byte offsets into BAR0.
 */

export const REG = {
  CTRL: 0x0000,
  STATUS: 0x0008,
  EECD: 0x0010,
  EERD: 0x0014,
  CTRL_EXT: 0x0018,
  FLA: 0x001c,
  MDIC: 0x0020,
  FCAL: 0x0028,
  FCAH: 0x002c,
  FCT: 0x0030,
  VET: 0x0038,
  ICR: 0x00c0,
  ITR: 0x00c4,
  ICS: 0x00c8,
  IMS: 0x00d0,
  IMC: 0x00d8,
  RCTL: 0x0100,
  FCTTV: 0x0170,
  TXCW: 0x0178,
  RXCW: 0x0180,
  TCTL: 0x0400,
  TIPG: 0x0410,
  AIFS: 0x0458,
  LEDCTL: 0x0e00,
  PBA: 0x1000,
  FCRTL: 0x2160,
  FCRTH: 0x2168,
  RDFH: 0x2410,
  RDFT: 0x2418,
  RDFHS: 0x2420,
  RDFTS: 0x2428,
  RDFPC: 0x2430,
  RDBAL: 0x2800,
  RDBAH: 0x2804,
  RDLEN: 0x2808,
  RDH: 0x2810,
  RDT: 0x2818,
  RDTR: 0x2820,
  RXDCTL: 0x2828,
  RADV: 0x282c,
  RSRPD: 0x2c00,
  TXDMAC: 0x3000,
  TDFH: 0x3410,
  TDFT: 0x3418,
  TDFHS: 0x3420,
  TDFTS: 0x3428,
  TDFPC: 0x3430,
  TDBAL: 0x3800,
  TDBAH: 0x3804,
  TDLEN: 0x3808,
  TDH: 0x3810,
  TDT: 0x3818,
  TIDV: 0x3820,
  TXDCTL: 0x3828,
  TADV: 0x382c,
  TSPMT: 0x3830,
  RXCSUM: 0x5000,
  MTA: 0x5200, // 128 entries
  RA: 0x5400, // 16 RAL/RAH pairs
  VFTA: 0x5600, // 128 entries
  WUC: 0x5800,
  WUFC: 0x5808,
  WUS: 0x5810,
  MANC: 0x5820,
  IPAV: 0x5838,
  IP4AT: 0x5840, // 4 entries at 8-byte stride
  IP6AT: 0x5880, // 4 entries
  WUPL: 0x5900,
  WUPM: 0x5a00, // 128 bytes
  FFLT: 0x5f00, // 4 entries at 8-byte stride
  FFMT: 0x9000, // 128 entries at 8-byte stride
  FFVT: 0x9800, // 128 entries at 8-byte stride
} as const;

/** Statistics registers 0x4000-0x40FC: all clear when read (64-bit pairs clear on the high read). */
export const STAT = {
  CRCERRS: 0x4000, ALGNERRC: 0x4004, SYMERRS: 0x4008, RXERRC: 0x400c, MPC: 0x4010, SCC: 0x4014,
  ECOL: 0x4018, MCC: 0x401c, LATECOL: 0x4020, COLC: 0x4028, DC: 0x4030, TNCRS: 0x4034, SEC: 0x4038,
  CEXTERR: 0x403c, RLEC: 0x4040, XONRXC: 0x4048, XONTXC: 0x404c, XOFFRXC: 0x4050, XOFFTXC: 0x4054,
  FCRUC: 0x4058, PRC64: 0x405c, PRC127: 0x4060, PRC255: 0x4064, PRC511: 0x4068, PRC1023: 0x406c,
  PRC1522: 0x4070, GPRC: 0x4074, BPRC: 0x4078, MPRC: 0x407c, GPTC: 0x4080, GORCL: 0x4088,
  GORCH: 0x408c, GOTCL: 0x4090, GOTCH: 0x4094, RNBC: 0x40a0, RUC: 0x40a4, RFC: 0x40a8, ROC: 0x40ac,
  RJC: 0x40b0, MGTPRC: 0x40b4, MGTPDC: 0x40b8, MGTPTC: 0x40bc, TORL: 0x40c0, TORH: 0x40c4,
  TOTL: 0x40c8, TOTH: 0x40cc, TPR: 0x40d0, TPT: 0x40d4, PTC64: 0x40d8, PTC127: 0x40dc,
  PTC255: 0x40e0, PTC511: 0x40e4, PTC1023: 0x40e8, PTC1522: 0x40ec, MPTC: 0x40f0, BPTC: 0x40f4,
  TSCTC: 0x40f8, TSCTFC: 0x40fc,
} as const;

/** 64-bit counters: low offset → high offset. */
export const STAT64: Record<number, number> = {
  [STAT.GORCL]: STAT.GORCH, [STAT.GOTCL]: STAT.GOTCH, [STAT.TORL]: STAT.TORH, [STAT.TOTL]: STAT.TOTH,
};

export const CTRL_FD = 1 << 0, CTRL_ASDE = 1 << 5, CTRL_SLU = 1 << 6, CTRL_RST = 1 << 26, CTRL_VME = 1 << 30, CTRL_PHY_RST = 1 << 31;

export const STATUS_FD = 1 << 0, STATUS_LU = 1 << 1, STATUS_TXOFF = 1 << 4, STATUS_SPEED_1000 = 2 << 6, STATUS_ASDV_1000 = 2 << 8, STATUS_MTXCKOK = 1 << 10;

export const EECD_SK = 1 << 0, EECD_CS = 1 << 1, EECD_DI = 1 << 2, EECD_DO = 1 << 3, EECD_FWE = 3 << 4, EECD_REQ = 1 << 6, EECD_GNT = 1 << 7, EECD_PRES = 1 << 8;

export const EERD_START = 1 << 0, EERD_DONE = 1 << 4, EERD_ADDR_SHIFT = 8, EERD_DATA_SHIFT = 16;

export const MDIC_DATA = 0xffff, MDIC_REG_SHIFT = 16, MDIC_PHY_SHIFT = 21, MDIC_OP_WRITE = 1 << 26, MDIC_OP_READ = 2 << 26, MDIC_READY = 1 << 28, MDIC_IE = 1 << 29, MDIC_ERROR = 1 << 30;

export const ICR_TXDW = 1 << 0, ICR_TXQE = 1 << 1, ICR_LSC = 1 << 2, ICR_RXSEQ = 1 << 3, ICR_RXDMT0 = 1 << 4, ICR_RXO = 1 << 6, ICR_RXT0 = 1 << 7, ICR_MDAC = 1 << 9, ICR_RXCFG = 1 << 10, ICR_TXD_LOW = 1 << 15, ICR_SRPD = 1 << 16;
/** Interrupt causes the 82540EM implements (ICR bits 0-16 minus reserved 5, 8). */
export const ICR_VALID = 0x1fedf;

export const RCTL_EN = 1 << 1, RCTL_SBP = 1 << 2, RCTL_UPE = 1 << 3, RCTL_MPE = 1 << 4, RCTL_LPE = 1 << 5, RCTL_LBM = 3 << 6, RCTL_RDMTS_SHIFT = 8, RCTL_MO_SHIFT = 12, RCTL_BAM = 1 << 15, RCTL_BSIZE_SHIFT = 16, RCTL_VFE = 1 << 18, RCTL_BSEX = 1 << 25, RCTL_SECRC = 1 << 26;

export const TCTL_EN = 1 << 1, TCTL_PSP = 1 << 3;

export const RAH_AV = 1 << 31;

export const RXCSUM_PCSS = 0xff, RXCSUM_IPOFL = 1 << 8, RXCSUM_TUOFL = 1 << 9;

// Transmit descriptor command / type fields (lower dword, bits 24-31 = DCMD for extended).
export const TXD_CMD_EOP = 0x01, TXD_CMD_IFCS = 0x02, TXD_CMD_IC = 0x04, TXD_CMD_RS = 0x08, TXD_CMD_RPS = 0x10, TXD_CMD_DEXT = 0x20, TXD_CMD_VLE = 0x40, TXD_CMD_IDE = 0x80;
/** Extended descriptors: DTYP in lower dword bits 20-23; TSE in DCMD bit 2 (lower bit 26). */
export const TXD_DTYP_DATA = 1, TXD_DCMD_TSE = 0x04;
/** Context descriptor TUCMD bits (lower dword bits 24-31). */
export const TUCMD_TCP = 0x01, TUCMD_IP = 0x02, TUCMD_TSE = 0x04;
export const TXD_STAT_DD = 0x01;
export const TXD_POPTS_IXSM = 0x01, TXD_POPTS_TXSM = 0x02;

// Receive descriptor status / errors.
export const RXD_STAT_DD = 0x01, RXD_STAT_EOP = 0x02, RXD_STAT_IXSM = 0x04, RXD_STAT_VP = 0x08, RXD_STAT_TCPCS = 0x20, RXD_STAT_IPCS = 0x40;
export const RXD_ERR_TCPE = 0x20, RXD_ERR_IPE = 0x40;

/** BAR0 and BAR1 sizes. */
export const E1000_MMIO_SIZE = 0x20000;
export const E1000_IO_SIZE = 0x40;
/** Descriptor size for both rings. */
export const DESC_SIZE = 16;
/** RDLEN/TDLEN: bits 19:7 (a multiple of 128 bytes, at most 1 MiB - 128). */
export const RING_LEN_MASK = 0xfff80;
