/**
 * The display's picture on the page's canvas, painted from a worker: a DisplaySink
 * (src/devices/display/render/types.ts) over an OffscreenCanvas that the page detached from its
 * <canvas> with transferControlToOffscreen() (HTML "OffscreenCanvas", placeholder canvas
 * elements). Each present() puts the changed rows y0..y1 of the frame's RGBA into the canvas's
 * 2D context (putImageData) and resizes the canvas when the display mode's size changes; the
 * browser commits the result to the page's placeholder element by itself.
 *
 * Isolated placement: the canvas goes to the display worker inside the VGA's backend description
 * `{ kind: 'canvas', canvas }` (transferred by the backend bridge), where the adapter registered
 * by registerCanvasAdapter() turns it into this sink. Monolithic: the CPU worker gives the VGA a
 * CanvasSink directly.
 */
/// <reference lib="webworker" />
import type { DisplaySink, FrameUpdate } from '../devices/display/render/types.js';
import { registerBackendAdapter } from '../channel/worker-host.js';

export const CANVAS_BACKEND_KIND = 'canvas';

/** The display backend description a device worker receives: the canvas, or none (a restart). */
export interface CanvasBackend {
  kind: typeof CANVAS_BACKEND_KIND;
  readonly canvas: OffscreenCanvas | undefined;
}

/** Counters, for the benchmarks and the tests. */
export interface CanvasSinkStats {
  presents: number;
  rowsPainted: number;
  resizes: number;
}

export class CanvasSink implements DisplaySink {
  private readonly ctx: OffscreenCanvasRenderingContext2D;
  readonly stats: CanvasSinkStats = { presents: 0, rowsPainted: 0, resizes: 0 };

  constructor(readonly canvas: OffscreenCanvas) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('canvas sink: no 2D context on the OffscreenCanvas');
    this.ctx = ctx;
  }

  present(update: FrameUpdate): void {
    const { width, height } = update;
    if (!update.dirty || width <= 0 || height <= 0) return;
    let { y0, y1 } = update.dirty;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      // Resizing clears the canvas: paint the whole frame.
      this.canvas.width = width;
      this.canvas.height = height;
      this.stats.resizes++;
      y0 = 0;
      y1 = height;
    }
    y0 = Math.max(0, Math.min(height, y0 | 0));
    y1 = Math.max(y0, Math.min(height, y1 | 0));
    if (y1 === y0) return;
    const rgba = update.rgba;
    // A view of the changed rows (no copy); putImageData copies them into the canvas.
    const rows = new Uint8ClampedArray(rgba.buffer as ArrayBuffer, rgba.byteOffset + y0 * width * 4, (y1 - y0) * width * 4);
    this.ctx.putImageData(new ImageData(rows, width, y1 - y0), 0, y0);
    this.stats.presents++;
    this.stats.rowsPainted += y1 - y0;
  }
}

/**
 * The VGA backend for the isolated placement: a description that hands the canvas over once. A
 * canvas can be transferred only once, so a display worker started again after a failure
 * (failure response 'restart') gets `canvas: undefined` and runs without painting; screen text
 * and screenshots still work through its control calls.
 */
export function canvasBackend(canvas: OffscreenCanvas): CanvasBackend {
  let pending: OffscreenCanvas | undefined = canvas;
  return {
    kind: CANVAS_BACKEND_KIND,
    get canvas() {
      const c = pending;
      pending = undefined;
      return c;
    },
  };
}

/** Register the worker-side adapter: `{ kind: 'canvas', canvas }` → a CanvasSink (or nothing). */
export function registerCanvasAdapter(): void {
  registerBackendAdapter(CANVAS_BACKEND_KIND, (d) => {
    const c = d.canvas;
    return typeof OffscreenCanvas === 'function' && c instanceof OffscreenCanvas ? new CanvasSink(c) : undefined;
  });
}
