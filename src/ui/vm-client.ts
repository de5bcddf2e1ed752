/**
 * The page's one handle on the machine: the CPU worker's comlink API (control) plus the stream
 * port (serial bytes, events; keys and serial input back; the screen is painted by the VM into
 * the page's transferred canvas). Every view (terminal,
 * screen, toolbar, panels) and `window.bulkhead` go through this object, never the worker.
 */
import * as Comlink from 'comlink';
import type { CpuWorkerApi } from '../workers/cpu-runtime.js';
import type { QmpEvent, VmApi, VmState, VmStreamIn, VmStreamOut } from '../workers/vm-api.js';

export type CpuRemote = Comlink.Remote<CpuWorkerApi & VmApi>;

export class VmClient {
  readonly remote: CpuRemote;
  readonly worker: Worker;
  private readonly port: MessagePort;
  private serialText = '';
  private readonly decoder = new TextDecoder('latin1');
  private readonly serialListeners = new Set<(bytes: Uint8Array) => void>();
  private readonly eventListeners = new Set<(m: VmStreamOut) => void>();
  private readonly textWaiters = new Set<{ text: string; from: number; resolve(i: number): void }>();
  /** QMP events of every machine since the page loaded (last 1000). */
  readonly qmpEvents: QmpEvent[] = [];
  /** Which URLs the page may fetch for the worker (the chosen image's); others are refused. */
  fetchAllowed: (url: string) => boolean = () => false;
  /**
   * A fresh canvas's OffscreenCanvas when a restarted display worker needs one (src/ui/screen.ts
   * replaces its <canvas> element); undefined: none to give.
   */
  canvasProvider: () => OffscreenCanvas | undefined = () => undefined;
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
      case 'fetch':
        void this.fetchFor(m);
        return;
      case 'need-canvas': {
        let canvas: OffscreenCanvas | undefined;
        try { canvas = this.state === 'starting' ? undefined : this.canvasProvider(); } catch { canvas = undefined; }
        this.port.postMessage({ t: 'canvas', id: m.id, canvas } satisfies VmStreamIn, canvas ? [canvas] : []);
        return;
      }
      case 'qmp':
        this.qmpEvents.push(m.event);
        if (this.qmpEvents.length > 1000) this.qmpEvents.shift();
        break;
      case 'state':
        this.state = m.state;
        if (m.error !== undefined) this.lastError = m.error;
        break;
    }
    for (const l of this.eventListeners) l(m);
  }

  onSerial(l: (bytes: Uint8Array) => void): void { this.serialListeners.add(l); }
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

  /** PS/2 mouse: relative motion (screen direction), wheel counts, MouseEvent.buttons mask. */
  mouse(dx: number, dy: number, dz: number, buttons: number): void {
    this.send({ t: 'mouse', dx, dy, dz, buttons });
  }

  /** A range request for the worker's image reader (cross-origin URL images). */
  private async fetchFor(m: Extract<VmStreamOut, { t: 'fetch' }>): Promise<void> {
    if (!this.fetchAllowed(m.url)) {
      this.send({ t: 'fetch-result', id: m.id, error: `the page fetches only the chosen image's URL, not ${m.url}` });
      return;
    }
    try {
      const r = await fetch(m.url, { method: m.method, headers: m.headers, mode: 'cors', credentials: 'omit' });
      const headers: Record<string, string> = {};
      for (const h of ['content-range', 'content-length', 'content-type', 'etag', 'last-modified']) {
        const v = r.headers.get(h);
        if (v !== null) headers[h] = v;
      }
      const body = m.method === 'HEAD' ? new ArrayBuffer(0) : await r.arrayBuffer();
      this.port.postMessage({ t: 'fetch-result', id: m.id, status: r.status, statusText: r.statusText, headers, body } satisfies VmStreamIn, [body]);
    } catch (e) {
      this.send({ t: 'fetch-result', id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private send(m: VmStreamIn): void {
    this.port.postMessage(m);
  }
}
