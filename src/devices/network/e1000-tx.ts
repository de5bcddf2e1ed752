/**
 * The 82540EM transmit data path (8254x SDM section 3.3): legacy descriptors, TCP/IP context
 * descriptors and data descriptors, checksum insertion (IXSM/TXSM with IPCSS/IPCSO/IPCSE and
 * TUCSS/TUCSO/TUCSE, legacy IC with CSS/CSO), TCP segmentation (TSE: header replicated per
 * MSS-sized segment, IPv4 total length and identification, TCP sequence number, PSH/FIN only
 * on the last segment, pseudo-header length added) and VLAN tag insertion (VLE with CTRL.VME).
 * Modelled on QEMU's hw/net/e1000.c process_tx_desc()/xmit_seg(), with every offset bounded by
 * the bytes actually gathered and the work per packet bounded (see MAX_TSO_SEGMENTS).
 *
 * Linux's e1000 enables checksum offload and TSO on the 82540 (mac_type >= e1000_82544 in
 * e1000_probe()), so both are implemented rather than hidden.
 */
import { getU16, getU32, onesSum, putU16, putU32 } from '../../net/frame.js';
import {
  TUCMD_IP, TUCMD_TCP, TUCMD_TSE, TXD_CMD_DEXT, TXD_CMD_EOP, TXD_CMD_IC, TXD_CMD_IDE, TXD_CMD_RPS, TXD_CMD_RS,
  TXD_CMD_VLE, TXD_DCMD_TSE, TXD_DTYP_DATA, TXD_POPTS_IXSM, TXD_POPTS_TXSM,
} from './e1000-regs.js';

/** Largest packet gathered from descriptors (a 64 KiB TSO payload plus headers). */
export const TX_BUFFER = 0x10000 + 256;
/** A TSO packet producing more segments than this is cut short (guest error). */
export const MAX_TSO_SEGMENTS = 1024;

export interface TxContext {
  ipcss: number;
  ipcso: number;
  ipcse: number;
  tucss: number;
  tucso: number;
  tucse: number;
  paylen: number;
  tcp: boolean;
  ip: boolean;
  hdrLen: number;
  mss: number;
}

const emptyContext = (): TxContext => ({ ipcss: 0, ipcso: 0, ipcse: 0, tucss: 0, tucso: 0, tucse: 0, paylen: 0, tcp: false, ip: false, hdrLen: 0, mss: 0 });

/** What the TX engine needs from the controller. */
export interface TxEnv {
  /** Copy guest memory; false if any byte was outside RAM. */
  dmaRead(addr: number, into: Uint8Array): boolean;
  /** Put a finished frame on the wire (or loop it back) and count it. */
  transmit(frame: Uint8Array): void;
  /** CTRL.VME and VET for VLAN insertion. */
  vlan(): { enabled: boolean; ethertype: number };
  guestError(message: string): void;
  /** TSCTC: TCP segmentation contexts completed. */
  countTsoContext(): void;
}

/** What processing one descriptor asks the controller to do. */
export interface TxDescResult {
  /** Write DD back into the descriptor's status (RS or RPS set). */
  writeBack: boolean;
  /** The descriptor asked for a delayed interrupt (IDE). */
  delayed: boolean;
}

export class TxEngine {
  private ctx = emptyContext();
  private tsoCtx = emptyContext();
  private readonly data = new Uint8Array(TX_BUFFER);
  private header = new Uint8Array(0);
  private size = 0;
  private sumNeeded = 0;
  private tse = false;
  private segments = 0;
  private vlanTag = -1;
  private bad = false;
  private truncated = false;

  constructor(private readonly env: TxEnv) {}

  reset(): void {
    this.ctx = emptyContext();
    this.tsoCtx = emptyContext();
    this.clearPacket();
  }

  /** Process one 16-byte descriptor (already copied out of guest memory). */
  process(d: Uint8Array): TxDescResult {
    const lower = getLE32(d, 8);
    const upper = getLE32(d, 12);
    const dcmd = lower >>> 24;
    const extended = (dcmd & TXD_CMD_DEXT) !== 0;
    const result: TxDescResult = { writeBack: (dcmd & (TXD_CMD_RS | TXD_CMD_RPS)) !== 0, delayed: (dcmd & TXD_CMD_IDE) !== 0 };
    const addr = getLE32(d, 0) + getLE32(d, 4) * 0x100000000;
    if (extended) {
      const dtyp = (lower >>> 20) & 0xf;
      if (dtyp === 0) {
        this.loadContext(d, lower);
        return result;
      }
      if (dtyp !== TXD_DTYP_DATA) {
        this.env.guestError(`e1000: transmit descriptor with reserved type ${dtyp}`);
        return result;
      }
      // Data descriptor: popts come from the first descriptor of a packet.
      if (this.size === 0 && !this.bad) {
        this.sumNeeded = (upper >>> 8) & 0xff;
        this.tse = (dcmd & TXD_DCMD_TSE) !== 0 && this.tsoValid();
      }
      this.gather(addr, lower & 0xfffff);
    } else {
      if (this.size === 0 && !this.bad) {
        this.sumNeeded = 0;
        this.tse = false;
      }
      this.gather(addr, lower & 0xffff);
    }
    if (!(dcmd & TXD_CMD_EOP)) return result;
    if (dcmd & TXD_CMD_VLE && this.env.vlan().enabled) this.vlanTag = upper >>> 16;
    if (!extended && dcmd & TXD_CMD_IC) {
      // Legacy checksum: CSO (lower bits 16-23) and CSS (upper bits 8-15) of the EOP descriptor.
      const cso = (lower >>> 16) & 0xff;
      const css = (upper >>> 8) & 0xff;
      this.putSum(cso, css, 0);
    }
    if (this.bad) this.env.guestError('e1000: transmit buffer outside guest RAM; packet dropped');
    else if (!(this.tse && this.size <= this.tsoCtx.hdrLen)) this.sendSegment();
    if (this.tse && !this.bad) this.env.countTsoContext();
    if (this.truncated) this.env.guestError('e1000: transmit packet larger than the packet buffer; truncated');
    this.clearPacket();
    return result;
  }

  private clearPacket(): void {
    this.size = 0;
    this.sumNeeded = 0;
    this.tse = false;
    this.segments = 0;
    this.vlanTag = -1;
    this.bad = false;
    this.truncated = false;
    this.header = new Uint8Array(0);
  }

  private loadContext(d: Uint8Array, lower: number): void {
    const tucmd = lower >>> 24;
    const c: TxContext = {
      ipcss: d[0],
      ipcso: d[1],
      ipcse: d[2] | (d[3] << 8),
      tucss: d[4],
      tucso: d[5],
      tucse: d[6] | (d[7] << 8),
      paylen: lower & 0xfffff,
      tcp: (tucmd & TUCMD_TCP) !== 0,
      ip: (tucmd & TUCMD_IP) !== 0,
      hdrLen: d[13],
      mss: d[14] | (d[15] << 8),
    };
    if (tucmd & TUCMD_TSE) this.tsoCtx = c;
    else this.ctx = c;
  }

  private tsoValid(): boolean {
    const c = this.tsoCtx;
    if (c.mss === 0 || c.hdrLen === 0 || c.hdrLen + c.mss > TX_BUFFER - 4) {
      this.env.guestError(`e1000: TSO context with header ${c.hdrLen} and MSS ${c.mss} ignored`);
      return false;
    }
    return true;
  }

  private gather(addr: number, length: number): void {
    if (this.bad || length === 0) return;
    if (!this.tse) {
      const n = Math.min(length, TX_BUFFER - this.size);
      if (n < length) this.truncated = true;
      if (n > 0 && !this.env.dmaRead(addr, this.data.subarray(this.size, this.size + n))) this.bad = true;
      this.size += n;
      return;
    }
    const hdr = this.tsoCtx.hdrLen;
    const msh = hdr + this.tsoCtx.mss;
    let remaining = length;
    while (remaining > 0) {
      const n = Math.min(remaining, msh - this.size);
      if (n <= 0) break;
      if (!this.env.dmaRead(addr, this.data.subarray(this.size, this.size + n))) {
        this.bad = true;
        return;
      }
      const before = this.size;
      this.size += n;
      if (before < hdr && this.size >= hdr) this.header = this.data.slice(0, hdr);
      addr += n;
      remaining -= n;
      if (this.size === msh) {
        if (this.segments >= MAX_TSO_SEGMENTS) {
          this.env.guestError(`e1000: TSO packet of more than ${MAX_TSO_SEGMENTS} segments cut short`);
          this.bad = true;
          return;
        }
        this.sendSegment();
        this.data.set(this.header, 0);
        this.size = hdr;
      }
    }
  }

  /** Finish one frame in data[0, size): TSO header fix-ups, checksums, VLAN, then transmit. */
  private sendSegment(): void {
    const n = this.size;
    const d = this.data;
    if (this.tse) {
      const c = this.tsoCtx;
      const frames = this.segments;
      if (c.ip) {
        if (c.ipcss + 6 <= n) {
          putU16(d, c.ipcss + 2, n - c.ipcss); // IPv4 total length
          putU16(d, c.ipcss + 4, (getU16(d, c.ipcss + 4) + frames) & 0xffff); // identification
        }
      } else if (c.ipcss + 6 <= n) {
        putU16(d, c.ipcss + 4, Math.max(0, n - c.ipcss - 40)); // IPv6 payload length
      }
      const css = c.tucss;
      const len = n - css;
      if (c.tcp) {
        if (css + 14 <= n) {
          const sofar = frames * c.mss;
          putU32(d, css + 4, (getU32(d, css + 4) + sofar) >>> 0);
          if (c.paylen - sofar > c.mss) d[css + 13] &= ~0x09; // PSH and FIN only on the last segment
        }
      } else if (css + 6 <= n) {
        putU16(d, css + 4, len); // UDP length
      }
      if (this.sumNeeded & TXD_POPTS_TXSM && c.tucso + 2 <= n && len > 0) {
        // The driver seeded the checksum with the pseudo header without length: add it.
        let ph = getU16(d, c.tucso) + len;
        ph = (ph >>> 16) + (ph & 0xffff);
        putU16(d, c.tucso, ph & 0xffff);
      }
      this.segments++;
    }
    const c = this.tse ? this.tsoCtx : this.ctx;
    if (this.sumNeeded & TXD_POPTS_TXSM) this.putSum(c.tucso, c.tucss, c.tucse);
    if (this.sumNeeded & TXD_POPTS_IXSM) this.putSum(c.ipcso, c.ipcss, c.ipcse);
    let frame = d.slice(0, n);
    if (this.vlanTag >= 0 && n >= 12) {
      const v = new Uint8Array(n + 4);
      v.set(frame.subarray(0, 12));
      putU16(v, 12, this.env.vlan().ethertype & 0xffff);
      putU16(v, 14, this.vlanTag & 0xffff);
      v.set(frame.subarray(12), 16);
      frame = v;
    }
    this.env.transmit(frame);
  }

  /** Insert the Internet checksum of data[css, cse] (cse = 0: to the end, inclusive) at offset `so`. */
  private putSum(so: number, css: number, cse: number): void {
    let end = this.size;
    if (cse && cse < end) end = cse + 1;
    if (css >= end || so + 2 > this.size || so >= end - 1) return;
    // The field keeps what software seeded it with (the pseudo-header sum for TCP/UDP).
    const sum = ~onesSum(this.data, css, end) & 0xffff;
    putU16(this.data, so, sum);
  }

  saveState(): Record<string, unknown> {
    // Only complete packets are sent, so the state between doorbells is the two contexts and
    // any partially gathered packet.
    return {
      ctx: { ...this.ctx },
      tsoCtx: { ...this.tsoCtx },
      data: Array.from(this.data.subarray(0, this.size)),
      header: Array.from(this.header),
      sumNeeded: this.sumNeeded,
      tse: this.tse,
      segments: this.segments,
      vlanTag: this.vlanTag,
      bad: this.bad,
      truncated: this.truncated,
    };
  }

  loadState(s: Record<string, unknown>): void {
    const ctx = (v: unknown): TxContext => {
      const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
      const num = (k: string, max: number) => (typeof o[k] === 'number' && Number.isInteger(o[k]) ? Math.max(0, Math.min(max, o[k] as number)) : 0);
      return {
        ipcss: num('ipcss', 255), ipcso: num('ipcso', 255), ipcse: num('ipcse', 0xffff), tucss: num('tucss', 255),
        tucso: num('tucso', 255), tucse: num('tucse', 0xffff), paylen: num('paylen', 0xfffff), tcp: o.tcp === true,
        ip: o.ip === true, hdrLen: num('hdrLen', 255), mss: num('mss', 0xffff),
      };
    };
    this.ctx = ctx(s.ctx);
    this.tsoCtx = ctx(s.tsoCtx);
    const data = Array.isArray(s.data) ? (s.data as unknown[]).slice(0, TX_BUFFER) : [];
    this.data.fill(0);
    data.forEach((b, i) => (this.data[i] = Number(b) & 0xff));
    this.size = data.length;
    const header = Array.isArray(s.header) ? (s.header as unknown[]).slice(0, 256) : [];
    this.header = Uint8Array.from(header, (b) => Number(b) & 0xff);
    this.sumNeeded = Number(s.sumNeeded) & 0xff;
    this.tse = s.tse === true;
    this.segments = Math.max(0, Math.min(MAX_TSO_SEGMENTS, Number(s.segments) | 0));
    this.vlanTag = typeof s.vlanTag === 'number' && s.vlanTag >= 0 ? s.vlanTag & 0xffff : -1;
    this.bad = s.bad === true;
    this.truncated = s.truncated === true;
  }
}

export function getLE32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
