/**
 * Receive-side helpers of the 82540EM model (8254x SDM section 3.2): address filtering
 * (unicast/multicast promiscuous, broadcast accept, the 16 exact receive addresses, the
 * 4096-bit multicast table with RCTL.MO, VLAN filter table), receive buffer sizes from
 * RCTL.BSIZE/BSEX, the RXCSUM checksum status of a frame and the Ethernet FCS the NIC
 * appends unless RCTL.SECRC. Pure functions over the register file.
 */
import { getU16, internetChecksum, parseIpv4, pseudoHeaderSum, IPPROTO_TCP, IPPROTO_UDP } from '../../net/frame.js';
import {
  CTRL_VME, RAH_AV, RCTL_BAM, RCTL_BSEX, RCTL_BSIZE_SHIFT, RCTL_MO_SHIFT, RCTL_MPE, RCTL_UPE, RCTL_VFE, REG,
  RXCSUM_IPOFL, RXCSUM_TUOFL, RXD_ERR_IPE, RXD_ERR_TCPE, RXD_STAT_IPCS, RXD_STAT_IXSM, RXD_STAT_TCPCS,
} from './e1000-regs.js';

const r32 = (o: number) => o >> 2;

/** Receive address filtering (8254x SDM 3.2.1; QEMU receive_filter()). */
export function rxFilterAccepts(regs: Uint32Array, f: Uint8Array): boolean {
  const rctl = regs[r32(REG.RCTL)];
  const mcast = (f[0] & 1) !== 0;
  let bcast = true;
  for (let i = 0; i < 6; i++) if (f[i] !== 0xff) bcast = false;
  if (rctl & RCTL_VFE && regs[r32(REG.CTRL)] & CTRL_VME && getU16(f, 12) === (regs[r32(REG.VET)] & 0xffff)) {
    const vid = getU16(f, 14) & 0xfff;
    if (!(regs[r32(REG.VFTA) + (vid >> 5)] & (1 << (vid & 31)))) return false;
  }
  if (!mcast && rctl & RCTL_UPE) return true;
  if (mcast && rctl & RCTL_MPE) return true;
  if (bcast && rctl & RCTL_BAM) return true;
  for (let n = 0; n < 16; n++) {
    const hi = regs[r32(REG.RA) + 2 * n + 1];
    if (!(hi & RAH_AV)) continue;
    const lo = regs[r32(REG.RA) + 2 * n];
    if (f[0] === (lo & 0xff) && f[1] === ((lo >>> 8) & 0xff) && f[2] === ((lo >>> 16) & 0xff) && f[3] === lo >>> 24 && f[4] === (hi & 0xff) && f[5] === ((hi >>> 8) & 0xff)) return true;
  }
  if (mcast && !bcast) {
    // The hash is 12 bits of the destination address chosen by RCTL.MO (bits 47:36 for MO 0).
    const shift = [4, 3, 2, 0][(rctl >>> RCTL_MO_SHIFT) & 3];
    const h = (((f[5] << 8) | f[4]) >>> shift) & 0xfff;
    return (regs[r32(REG.MTA) + (h >>> 5)] & (1 << (h & 31))) !== 0;
  }
  return false;
}

/** Receive buffer size from RCTL.BSIZE and BSEX (BSEX with BSIZE 00 is reserved: 2048). */
export function rxBufferSize(rctl: number): number {
  const bs = (rctl >>> RCTL_BSIZE_SHIFT) & 3;
  if (rctl & RCTL_BSEX) return [2048, 16384, 8192, 4096][bs];
  return [2048, 1024, 512, 256][bs];
}

/** RXCSUM offloads: IPv4 header and TCP/UDP checksums, or "ignore checksum" (IXSM). */
export function rxChecksumStatus(rxcsum: number, f: Uint8Array): { status: number; errors: number } {
  if (!(rxcsum & (RXCSUM_IPOFL | RXCSUM_TUOFL))) return { status: RXD_STAT_IXSM, errors: 0 };
  const ip = parseIpv4(f);
  if (!ip) return { status: RXD_STAT_IXSM, errors: 0 };
  let status = 0;
  let errors = 0;
  if (rxcsum & RXCSUM_IPOFL) {
    status |= RXD_STAT_IPCS;
    if (internetChecksum(f, ip.ip, ip.payload) !== 0) errors |= RXD_ERR_IPE;
  }
  if (rxcsum & RXCSUM_TUOFL && !ip.fragment && (ip.protocol === IPPROTO_TCP || ip.protocol === IPPROTO_UDP)) {
    const len = ip.end - ip.payload;
    const udpNoSum = ip.protocol === IPPROTO_UDP && len >= 8 && getU16(f, ip.payload + 6) === 0;
    if (len >= (ip.protocol === IPPROTO_TCP ? 20 : 8) && !udpNoSum) {
      status |= RXD_STAT_TCPCS;
      if (internetChecksum(f, ip.payload, ip.end, pseudoHeaderSum(ip.src, ip.dst, ip.protocol, len)) !== 0) errors |= RXD_ERR_TCPE;
    }
  }
  return { status: status || RXD_STAT_IXSM, errors };
}

const FCS_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** IEEE 802.3 frame check sequence (CRC-32, reflected), as transmitted least significant byte first. */
export function ethernetFcs(f: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < f.length; i++) c = FCS_TABLE[(c ^ f[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
