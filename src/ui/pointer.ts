/**
 * Mouse capture for the screen canvas: a click locks the pointer to the canvas (Pointer Lock API,
 * W3C Pointer Lock 2.0), Esc (the browser's own gesture) releases it. While locked, relative
 * motion (MouseEvent.movementX/Y), the button mask (MouseEvent.buttons) and the wheel go to the
 * guest's PS/2 mouse on the i8042 aux port (InputSink conventions, src/devices/input/input-backend.ts).
 * Motion is coalesced to one message per animation frame. The screen replaces its canvas at every
 * power-on: `attach()` wires each new one (Screen.onCanvas).
 */
import type { VmClient } from './vm-client.js';

export class PointerCapture {
  private dx = 0;
  private dy = 0;
  private dz = 0;
  private buttons = 0;
  private scheduled = false;
  private wheelRest = 0;

  private canvas: HTMLCanvasElement | undefined;

  constructor(private readonly vm: VmClient, private readonly onChange?: (locked: boolean) => void) {
    document.addEventListener('pointerlockchange', () => {
      if (!this.locked && this.buttons !== 0) {
        this.buttons = 0;
        this.schedule();
      }
      this.onChange?.(this.locked);
    });
  }

  /** Capture the pointer on this canvas (the current screen element). */
  attach(canvas: HTMLCanvasElement): void {
    if (this.locked) document.exitPointerLock();
    this.canvas = canvas;
    canvas.addEventListener('click', () => {
      if (!this.locked) void Promise.resolve(canvas.requestPointerLock()).catch(() => {});
    });
    canvas.addEventListener('mousemove', (e) => {
      if (!this.locked) return;
      this.dx += e.movementX;
      this.dy += e.movementY;
      this.schedule();
    });
    const buttons = (e: MouseEvent): void => {
      if (!this.locked) return;
      e.preventDefault();
      this.buttons = e.buttons & 0x1f;
      this.schedule();
    };
    canvas.addEventListener('mousedown', buttons);
    canvas.addEventListener('mouseup', buttons);
    canvas.addEventListener('contextmenu', (e) => { if (this.locked) e.preventDefault(); });
    canvas.addEventListener('wheel', (e) => {
      if (!this.locked) return;
      e.preventDefault();
      // One PS/2 wheel count per notch: ~100 px (pixel mode) or 3 lines.
      const unit = e.deltaMode === WheelEvent.DOM_DELTA_PIXEL ? 100 : e.deltaMode === WheelEvent.DOM_DELTA_LINE ? 3 : 1;
      this.wheelRest += e.deltaY / unit;
      const n = Math.trunc(this.wheelRest);
      if (n !== 0) {
        this.wheelRest -= n;
        this.dz += n;
        this.schedule();
      }
    }, { passive: false });
  }

  get locked(): boolean {
    return this.canvas !== undefined && document.pointerLockElement === this.canvas;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const { dx, dy, dz } = this;
    this.dx = this.dy = this.dz = 0;
    this.vm.mouse(dx, dy, dz, this.buttons);
  }
}
