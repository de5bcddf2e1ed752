/**
 * A machine console backed by a device's byte stream: the SerialBackend (src/devices/console/
 * serial-backend.ts) handed to a device configured with `console: NAME`. What the guest
 * transmits becomes `console` events of source NAME (so `waitForText` and the CLI see it);
 * Machine.sendConsole(NAME, bytes) feeds the guest's receiver. Used in the monolithic placement;
 * an isolated device needs a worker-side backend adapter instead (docs/machine.md).
 */
import type { ModemInputs, SerialBackend } from '../devices/console/serial-backend.js';

export class ConsoleStream implements SerialBackend {
  private receiver: ((bytes: Uint8Array) => void) | undefined;
  private pending: Uint8Array[] = [];

  constructor(private readonly output: (bytes: Uint8Array) => void) {}

  write(bytes: Uint8Array): void {
    this.output(bytes.slice());
  }

  onData(receive: (bytes: Uint8Array) => void): () => void {
    this.receiver = receive;
    for (const p of this.pending.splice(0)) receive(p);
    return () => {
      if (this.receiver === receive) this.receiver = undefined;
    };
  }

  onModemInputs(receive: (lines: ModemInputs) => void): () => void {
    // A console is always "connected": CTS, DSR and DCD asserted.
    receive({ cts: true, dsr: true, ri: false, dcd: true });
    return () => {};
  }

  /** Bytes for the guest (queued until the device registers its receiver). */
  input(bytes: Uint8Array): void {
    if (this.receiver) this.receiver(bytes.slice());
    else this.pending.push(bytes.slice());
  }
}
