/**
 * The page's one handle on the machine: the CPU worker's comlink API (control) plus the stream
 * port (serial bytes, frames, events; keys and serial input back). Every view (terminal,
 * screen, toolbar, panels) and `window.bulkhead` go through this object, never the worker.
 */
import * as Comlink from 'comlink';
import type { CpuWorkerApi } from '../workers/cpu-runtime.js';
import type { VmApi, VmState, VmStreamIn, VmStreamOut } from '../workers/vm-api.js';

export type CpuRemote = Comlink.Remote<CpuWorkerApi & VmApi>;

type FrameMsg = Extract<VmStreamOut, { t: 'frame' }>;

export class VmClient {
  readonly remote: CpuRemote;
  readonly worker: Worker;
  private readonly port: MessagePort;
  private serialText = '';
  private readonly decoder = new TextDecoder('latin1');
  private readonly serialListeners = new Set<(bytes: Uint8Array) => void>();
  private readonly frameListeners = new Set<(f: FrameMsg) => void>();
  private readonly eventListeners = new Set<(m: VmStreamOut) => void>();
  private readonly textWaiters = new Set<{ text: string; from: number; resolve(i: number): void }>();
  state: VmState = 'off';
  lastError: string | undefined;

  constructor() {
    this.worker = new Worker(new URL('../workers/cpu.worker.ts', import.meta.url), { type: 'module', name: 'bulkhead-cpu' });
    this.remote = Comlink.wrap<CpuWorkerApi & VmApi>(this.worker);
    const mc = new MessageChannel();
    this.port = mc.port1;
    this.port.onmessage = (ev) => this.onStream(ev.data as VmStreamOut);
    void this.remote.connect(Comlink.transfer(mc.port2, [mc.port2]));
  }

  private onStream(m: VmStreamOut): void {
    switch (m.t) {
      case 'serial': {
        this.serialText += this.decoder.decode(m.data);
        if (this.serialText.length > 4 << 20) this.serialText = this.serialText.slice(-(2 << 20));
        for (const l of this.serialListeners) l(m.data);
        for (const w of [...this.textWaiters]) {
          const i = this.serialText.indexOf(w.text, w.from);
          if (i >= 0) { this.textWaiters.delete(w); w.resolve(i); }
        }
        return;
      }
      case 'frame':
        for (const l of this.frameListeners) l(m);
        return;
      case 'state':
        this.state = m.state;
        if (m.error !== undefined) this.lastError = m.error;
        break;
    }
    for (const l of this.eventListeners) l(m);
  }

  onSerial(l: (bytes: Uint8Array) => void): void { this.serialListeners.add(l); }
  onFrame(l: (f: FrameMsg) => void): void { this.frameListeners.add(l); }
  onEvent(l: (m: VmStreamOut) => void): void { this.eventListeners.add(l); }

  /** Everything the serial port has printed since the page loaded (latin1). */
  serial(): string { return this.serialText; }

  /** Forget the serial history (a new power-on). */
  clearSerial(): void { this.serialText = ''; }

  /** Resolve with the index of `text` once the serial output contains it (at or after `from`). */
  waitForSerial(text: string, timeoutMs: number, from = 0): Promise<number> {
    const i = this.serialText.indexOf(text, from);
    if (i >= 0) return Promise.resolve(i);
    return new Promise((resolve, reject) => {
      const w = { text, from, resolve: (n: number) => { clearTimeout(timer); resolve(n); } };
      const timer = setTimeout(() => { this.textWaiters.delete(w); reject(new Error(`timed out after ${timeoutMs} ms waiting for ${JSON.stringify(text)} on the serial port`)); }, timeoutMs);
      this.textWaiters.add(w);
    });
  }

  sendSerial(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.send({ t: 'serial-in', data: bytes });
  }

  key(code: string, down: boolean): void {
    this.send({ t: 'key', code, down });
  }

  private send(m: VmStreamIn): void {
    this.port.postMessage(m);
  }
}
