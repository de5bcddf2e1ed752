/**
 * The VGA screen on the page. The page does not paint: at every power-on it puts a fresh
 * <canvas> in place (a canvas can hand its control over only once), detaches it with
 * transferControlToOffscreen() (HTML "OffscreenCanvas", placeholder canvas elements) and
 * transfers the OffscreenCanvas to the CPU worker, where the VGA paints it — from the CPU worker
 * (monolithic) or from the display worker (isolated), src/workers/canvas-sink.ts. A display
 * worker restarted after a failure asks for a new canvas (VmClient.canvasProvider): the element is
 * replaced the same way (same id, class, size, listeners) and the restarted VGA paints it. This element
 * scales the picture by a whole factor where it fits (CSS `image-rendering: pixelated`, so text
 * stays crisp), from the display mode it polls; double-click toggles fullscreen. With keyboard
 * focus the canvas sends DOM KeyboardEvent.code names to the i8042
 * (src/devices/input/input-backend.ts).
 */
import * as Comlink from 'comlink';
import type { VmClient } from './vm-client.js';

/** How often the display mode (the picture's size) is asked for, in ms. */
const MODE_POLL_MS = 500;

export class Screen {
  private current: HTMLCanvasElement;
  private readonly down = new Set<string>();
  /** The picture's size (the display mode), which the detached element cannot tell. */
  private width = 640;
  private height = 400;
  private readonly canvasHooks: ((c: HTMLCanvasElement) => void)[] = [];
  /** Canvases handed to the VM since the page loaded (power-ons and display restarts). */
  handOvers = 0;

  constructor(canvas: HTMLCanvasElement, private readonly vm: VmClient, private readonly box: HTMLElement) {
    this.current = canvas;
    this.wire(canvas);
    vm.canvasProvider = () => this.replace();
    new ResizeObserver(() => this.fit()).observe(box);
    document.addEventListener('fullscreenchange', () => this.fit());
    setInterval(() => void this.pollMode(), MODE_POLL_MS);
    this.fit();
  }

  /** The canvas element shown now (replaced at every power-on). */
  get canvas(): HTMLCanvasElement {
    return this.current;
  }

  /** Run `hook` on the current canvas element and on every later one (listeners of other views). */
  onCanvas(hook: (c: HTMLCanvasElement) => void): void {
    this.canvasHooks.push(hook);
    hook(this.current);
  }

  /**
   * Before a power-on: a fresh canvas element in place of the old one, its control transferred
   * to the CPU worker for the machine about to be built.
   */
  async handOver(): Promise<void> {
    const off = this.replace();
    await this.vm.remote.screenCanvas(Comlink.transfer(off, [off]));
  }

  /**
   * A fresh canvas element in place of the current one (same id, class, size and listeners;
   * keyboard focus kept), its control detached for the VM.
   */
  private replace(): OffscreenCanvas {
    const old = this.current;
    const hadFocus = document.activeElement === old;
    const c = document.createElement('canvas');
    c.id = old.id;
    c.className = old.className;
    c.width = this.width;
    c.height = this.height;
    old.replaceWith(c);
    this.current = c;
    this.releaseAll();
    this.wire(c);
    this.fit();
    if (hadFocus) c.focus();
    this.handOvers++;
    return c.transferControlToOffscreen();
  }

  private wire(canvas: HTMLCanvasElement): void {
    canvas.tabIndex = 0;
    canvas.addEventListener('keydown', (e) => this.onKey(e, true));
    canvas.addEventListener('keyup', (e) => this.onKey(e, false));
    canvas.addEventListener('blur', () => this.releaseAll());
    canvas.addEventListener('mousedown', () => canvas.focus());
    canvas.addEventListener('dblclick', () => void this.toggleFullscreen());
    for (const h of this.canvasHooks) h(canvas);
  }

  private async pollMode(): Promise<void> {
    if (document.hidden) return;
    try {
      const m = await this.vm.remote.displayMode();
      if (!m || m.width <= 0 || m.height <= 0) return;
      if (m.width !== this.width || m.height !== this.height) {
        this.width = m.width;
        this.height = m.height;
        this.fit();
      }
    } catch {
      // no machine, or the display failed: keep the last size
    }
  }

  private onKey(e: KeyboardEvent, down: boolean): void {
    if (!e.code) return;
    e.preventDefault();
    if (down) this.down.add(e.code);
    else this.down.delete(e.code);
    this.vm.key(e.code, down);
  }

  /** Focus left the canvas: release what is held so the guest sees no stuck key. */
  private releaseAll(): void {
    for (const c of this.down) this.vm.key(c, false);
    this.down.clear();
  }

  /** Fullscreen on the screen's box (the canvas scales to the whole display), or back. */
  async toggleFullscreen(): Promise<void> {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await this.box.requestFullscreen();
  }

  /** Largest whole scale that fits the box or the fullscreen display (fractional only when smaller). */
  fit(): void {
    const w = this.width, h = this.height;
    const full = document.fullscreenElement === this.box;
    const availW = full ? window.innerWidth : Math.max(100, this.box.clientWidth - 4);
    const maxH = full ? window.innerHeight : Math.max(200, window.innerHeight * 0.7);
    let s = Math.floor(Math.min(availW / w, maxH / h));
    if (s < 1) s = Math.min(availW / w, maxH / h);
    this.current.style.width = `${Math.floor(w * s)}px`;
    this.current.style.height = `${Math.floor(h * s)}px`;
  }
}
