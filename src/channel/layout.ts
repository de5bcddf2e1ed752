/**
 * Memory layout of one device channel: a small SharedArrayBuffer per device worker, never
 * inside the machine memory, so one device worker cannot read or forge another one's traffic.
 * Both ends (the CPU-side ChannelClient and the worker-side ChannelServer) index it with the
 * constants below. All control words are Int32 and accessed with Atomics (sequentially
 * consistent), which is what makes the single-producer ring and the request slot correct.
 *
 *   words [0, 64)        control header (ring indices, doorbell, request slot, state, ...)
 *   bytes [256, 288)     virtual-clock publication (seqlock + 3 float64)
 *   words [IRQ_BASE..)   interrupt lines: per device, per line: level word, pulse counter
 *   f64   [STATS..)      per-device counters kept by the worker (DMA bytes, IRQ raises)
 *   words [SHADOW..)     shadow-register slots: value word, meta word (size | valid bit)
 *   words [RING..)       posted-write ring: RING_ENTRIES entries of 4 words
 *   bytes [DATA..)       data area for bulk string I/O and state transfer
 *   bytes [TEXT..)       text area: the cause written by a dying worker
 */

/** Devices one worker (one class) can host. */
export const MAX_DEVICES = 16;
/** Interrupt lines per device. */
export const MAX_IRQS = 4;
/** Shadow-register slots per channel. */
export const MAX_SHADOW = 256;
/** Posted-write ring entries (power of two). */
export const RING_ENTRIES = 4096;
export const RING_MASK = RING_ENTRIES - 1;
export const RING_ENTRY_WORDS = 4;
/** Bytes of the bulk data area. */
export const DATA_BYTES = 64 * 1024;
export const TEXT_BYTES = 1024;

// Control header word indices, grouped into 64-byte cache lines by writer so the CPU's
// per-write stores and the worker's per-entry stores do not share a line (false sharing):
//   line 0: written by the CPU on every access; line 1: written by the worker on every entry
//   or answer; line 2: the worker's sleeping flag (read by the CPU on every post, written only
//   when the worker goes to sleep or wakes); line 3: rarely written status words.
export const W = {
  HEAD: 0, // ring: next entry the CPU writes (monotonic, wraps at 2^32)
  REQ_SEQ: 1, // sequence of the current synchronous request
  REQ_OP: 2,
  REQ_DEV: 3,
  REQ_REGION: 4,
  REQ_OFFSET: 5,
  REQ_SIZE: 6,
  REQ_ARG: 7, // item count for string I/O, byte length for state transfer
  DOORBELL: 8, // bumped by the CPU when a sleeping worker must wake
  SPACE_WAIT: 9, // 1 while the CPU waits for ring space
  CLOCK_SEQ: 10, // seqlock of the clock publication (odd while writing)
  TAIL: 16, // ring: next entry the worker consumes
  RESP_SEQ: 17, // sequence of the last answered request; the CPU waits on it
  RESP_VALUE: 18,
  RESP_STATUS: 19,
  SLEEPING: 32, // 1 while the worker is (about to be) waiting for work
  STATE: 48, // ChannelState
  HEARTBEAT: 49, // incremented by the worker on a timer
  IRQ_SEQ: 50, // incremented by the worker after any IRQ level/pulse change
  SIGNAL_SEQ: 51, // incremented after A20 or reset-request changes
  A20: 52, // -1 = never set, else 0/1
  RESET_REQS: 53, // count of reset requests
  TEXT_LEN: 54, // bytes of the dying cause in the text area
} as const;

export const HEADER_WORDS = 64;
export const CLOCK_BYTE = 256; // float64 x3: virtual ns, host ms, running (0/1)
export const IRQ_WORD = 72; // after the clock (byte 288 = word 72)
// Two words per (device, line): [(rises << 1) | level, pulse count]. Only the device worker
// writes them; the rise count lets the CPU see a fall and rise that happened between two polls.
export const IRQ_WORDS = MAX_DEVICES * MAX_IRQS * 2;
export const STATS_BYTE = (IRQ_WORD + IRQ_WORDS) * 4; // float64-aligned (multiple of 8)
export const STATS_PER_DEVICE = 2; // [dmaBytes, irqRaises]
export const STATS_F64 = MAX_DEVICES * STATS_PER_DEVICE;
export const SHADOW_WORD = STATS_BYTE / 4 + STATS_F64 * 2;
export const RING_WORD = SHADOW_WORD + MAX_SHADOW * 2;
export const DATA_BYTE = (RING_WORD + RING_ENTRIES * RING_ENTRY_WORDS) * 4;
export const TEXT_BYTE = DATA_BYTE + DATA_BYTES;
export const CHANNEL_BYTES = TEXT_BYTE + TEXT_BYTES;

export const enum ChannelState {
  Starting = 0,
  Ready = 1,
  Dead = 2,
}

/** Ops carried by ring entries (posted, answered by nobody). */
export const enum PostedOp {
  IoWrite = 1,
  MmioWrite = 2,
  PciConfigWrite = 3,
  PciBarChanged = 4, // region = bar, offset = base, value = enabled
  Reset = 5,
  Destroy = 6,
  InjectCrash = 7, // fault injection: the worker dies as if device code threw
  InjectHang = 8, // fault injection: the worker spins forever
}

/** Ops of the synchronous request slot (the CPU waits for the answer). */
export const enum RequestOp {
  IoRead = 1,
  MmioRead = 2,
  PciConfigRead = 3,
  IoReadString = 4, // REQ_ARG = item count; answer in the data area
  IoWriteString = 5, // REQ_ARG = item count; data in the data area
  SaveState = 6, // answer: JSON bytes in the data area, RESP_VALUE = length (or -needed)
  LoadState = 7, // REQ_ARG = JSON length in the data area
  Barrier = 8, // answered once every earlier posted write is done
}

export const enum RespStatus {
  Ok = 0,
  /** The request could not be served (unknown device, data too large); value is all-ones. */
  Rejected = 1,
}

/** Pack op/device/region/size into an entry's first word. */
export function packHead(op: number, dev: number, region: number, size: number): number {
  return (op & 0xff) | ((dev & 0xff) << 8) | ((region & 0xff) << 16) | ((size & 0xff) << 24);
}

/** A fresh, zeroed channel buffer. */
export function createChannelBuffer(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(CHANNEL_BYTES);
  const w = new Int32Array(sab);
  w[W.A20] = -1;
  return sab;
}

/** The wake buffer shared by the CPU and every device worker: word 0 is the wake counter. */
export function createWakeBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(16);
}

/** Bump the wake word and wake a CPU sleeping in waitForEvent. Safe from any thread. */
export function wakeCpu(wake: Int32Array): void {
  Atomics.add(wake, 0, 1);
  Atomics.notify(wake, 0);
}

/** All-ones for an access of `size` bytes (the open-bus value of a detached device). */
export function allOnes(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}
