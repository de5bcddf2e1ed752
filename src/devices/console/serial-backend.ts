/**
 * The byte-stream backend of a serial port (QEMU's "chardev"): what the isa-serial model talks
 * to instead of a terminal, file or socket. The model owns no I/O; the host (a device worker,
 * the Node runner, a test) hands it an object implementing SerialBackend as `host.backend`.
 *
 * Direction names follow the guest: `write` carries bytes the guest transmitted (THR), the
 * receive callback carries bytes for the guest (they arrive on RBR at the line rate).
 */

/** Modem status inputs driven by the far end (the 16550's CTS/DSR/RI/DCD pins). */
export interface ModemInputs {
  cts: boolean;
  dsr: boolean;
  ri: boolean;
  dcd: boolean;
}

/** Modem control outputs driven by the guest (MCR DTR/RTS), reported to the far end. */
export interface ModemOutputs {
  dtr: boolean;
  rts: boolean;
}

export interface SerialBackend {
  /** Bytes the guest transmitted, in order. Called at THR write time (see docs). */
  write(bytes: Uint8Array): void;
  /**
   * The device registers its receiver once. The backend calls it with bytes for the guest,
   * whenever they arrive; the device queues them and feeds them to its receive FIFO at the
   * programmed line rate. Returns an unsubscribe function.
   */
  onData(receive: (bytes: Uint8Array) => void): () => void;
  /** Optional: the far end's modem status lines. Absent = CTS, DSR, DCD asserted, RI off. */
  onModemInputs?(receive: (lines: ModemInputs) => void): () => void;
  /** Optional: the guest changed DTR/RTS. */
  setModemOutputs?(lines: ModemOutputs): void;
  /** Optional: the guest started (true) or stopped (false) sending a break (LCR bit 6). */
  setBreak?(on: boolean): void;
}

/**
 * A SerialBackend kept in memory: collects what the guest transmits, lets the caller inject
 * input. Used by tests, the Node runner and as the buffer between a device worker and its port.
 */
export class BufferedSerialBackend implements SerialBackend {
  /** Everything the guest transmitted so far. */
  readonly output: number[] = [];
  private receiver: ((bytes: Uint8Array) => void) | undefined;
  private modemReceiver: ((lines: ModemInputs) => void) | undefined;
  private pendingInput: number[] = [];
  /** Last DTR/RTS reported by the guest. */
  modemOutputs: ModemOutputs = { dtr: false, rts: false };
  breakOn = false;
  /** Called with each transmitted chunk (optional tap). */
  onTransmit: ((bytes: Uint8Array) => void) | undefined;

  write(bytes: Uint8Array): void {
    for (const b of bytes) this.output.push(b);
    this.onTransmit?.(bytes);
  }

  onData(receive: (bytes: Uint8Array) => void): () => void {
    this.receiver = receive;
    if (this.pendingInput.length) {
      const bytes = Uint8Array.from(this.pendingInput);
      this.pendingInput = [];
      receive(bytes);
    }
    return () => {
      if (this.receiver === receive) this.receiver = undefined;
    };
  }

  onModemInputs(receive: (lines: ModemInputs) => void): () => void {
    this.modemReceiver = receive;
    return () => {
      if (this.modemReceiver === receive) this.modemReceiver = undefined;
    };
  }

  setModemOutputs(lines: ModemOutputs): void {
    this.modemOutputs = { ...lines };
  }

  setBreak(on: boolean): void {
    this.breakOn = on;
  }

  /** Send bytes (or a string, as Latin-1/UTF-8 bytes) to the guest. Queued until a device attaches. */
  input(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? encodeUtf8(data) : data;
    if (this.receiver) this.receiver(bytes);
    else for (const b of bytes) this.pendingInput.push(b);
  }

  /** Drive the far end's modem lines. */
  setModemInputs(lines: ModemInputs): void {
    this.modemReceiver?.(lines);
  }

  /** The transmitted bytes decoded as Latin-1 text (for markers in logs). */
  outputText(): string {
    let s = '';
    for (const b of this.output) s += String.fromCharCode(b);
    return s;
  }
}

function encodeUtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return Uint8Array.from(out);
}
