/**
 * The VGA screen: paints the frames the VM posts (changed rows of the std VGA's RGBA picture,
 * src/devices/display/render) into a canvas at the guest's resolution and scales it by a whole
 * factor where it fits (CSS pixelated, so text stays crisp). With keyboard focus the canvas
 * sends DOM KeyboardEvent.code names to the i8042 (src/devices/input/input-backend.ts).
 */
import type { VmClient } from './vm-client.js';

export class Screen {
  private readonly ctx: CanvasRenderingContext2D;
  private painted = false;
  private readonly down = new Set<string>();

  constructor(readonly canvas: HTMLCanvasElement, private readonly vm: VmClient, private readonly box: HTMLElement) {
    this.ctx = canvas.getContext('2d', { alpha: false })!;
    canvas.width = 640;
    canvas.height = 400;
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, canvas.width, canvas.height);
    vm.onFrame((f) => {
      if (this.canvas.width !== f.width || this.canvas.height !== f.height) {
        this.canvas.width = f.width;
        this.canvas.height = f.height;
        this.fit();
      }
      const rgba = new Uint8ClampedArray(f.rgba.buffer as ArrayBuffer, f.rgba.byteOffset, f.rgba.length);
      this.ctx.putImageData(new ImageData(rgba, f.width, f.y1 - f.y0), 0, f.y0);
      this.painted = true;
    });
    canvas.tabIndex = 0;
    canvas.addEventListener('keydown', (e) => this.onKey(e, true));
    canvas.addEventListener('keyup', (e) => this.onKey(e, false));
    canvas.addEventListener('blur', () => this.releaseAll());
    canvas.addEventListener('mousedown', () => canvas.focus());
    new ResizeObserver(() => this.fit()).observe(box);
    this.fit();
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

  /** Largest whole scale that fits the box (at least 1; fractional only when smaller). */
  fit(): void {
    const w = this.canvas.width, h = this.canvas.height;
    const availW = Math.max(100, this.box.clientWidth - 4);
    const maxH = Math.max(200, window.innerHeight * 0.7);
    let s = Math.floor(Math.min(availW / w, maxH / h));
    if (s < 1) s = Math.min(availW / w, maxH / h);
    this.canvas.style.width = `${Math.floor(w * s)}px`;
    this.canvas.style.height = `${Math.floor(h * s)}px`;
  }

  /** Show a line of text instead of a picture (no display output in this configuration). */
  placeholder(text: string): void {
    this.canvas.width = 640;
    this.canvas.height = 400;
    this.fit();
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, 640, 400);
    this.ctx.fillStyle = '#ccc';
    this.ctx.font = '14px monospace';
    this.ctx.fillText(text, 16, 200, 608);
    this.painted = false;
  }

  /** Whether any pixel differs from the first one (a picture, not a blank screen). */
  notBlank(): boolean {
    if (!this.painted) return false;
    const d = this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height).data;
    for (let i = 4; i < d.length; i += 4) {
      if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) return true;
    }
    return false;
  }

  /** The canvas as a PNG data URL. */
  dataUrl(): string {
    return this.canvas.toDataURL('image/png');
  }
}
