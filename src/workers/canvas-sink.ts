/**
 * The display's picture on the page's canvas, painted from a worker: a DisplaySink
 * (src/devices/display/render/types.ts) over an OffscreenCanvas that the page detached from its
 * <canvas> with transferControlToOffscreen() (HTML "OffscreenCanvas", placeholder canvas
 * elements). Each present() puts the changed rows y0..y1 of the frame's RGBA into the canvas's
 * 2D context (putImageData) and resizes the canvas when the display mode's size changes; the
 * browser commits the result to the page's placeholder element by itself.
 *
 * Isolated placement: the canvas goes to the display worker inside the VGA's backend description
 * `{ kind: 'canvas', canvas, port }` (transferred by the backend bridge), where the adapter
 * registered by registerCanvasAdapter() turns it into this sink. Monolithic: the CPU worker gives
 * the VGA a CanvasSink directly.
 *
 * A canvas can be transferred only once, so a display worker restarted after a failure (failure
 * response 'restart') gets the description again with `canvas: undefined` and a new `port`: its
 * sink asks over the port for a canvas ({t:'need-canvas'}), the CPU side gets a fresh one from
 * the page (the provider given to canvasBackend(): the page replaces its <canvas> element) and
 * answers {t:'canvas', canvas}; the sink then paints the whole last frame into it at once. The
 * channel layer knows nothing of this: it only re-exports the backend (backend-bridge.ts).
 */
/// <reference lib="webworker" />
import type { DisplaySink, Frame, FrameUpdate } from '../devices/display/render/types.js';
import { registerBackendAdapter } from '../channel/worker-host.js';

export const CANVAS_BACKEND_KIND = 'canvas';

/**
 * The display backend description a device worker receives: the canvas (first start) or none
 * (a restart), and the port to ask the CPU side for a canvas (none when it cannot provide one).
 */
export interface CanvasBackend {
  kind: typeof CANVAS_BACKEND_KIND;
  readonly canvas: OffscreenCanvas | undefined;
  readonly port: MessagePort | undefined;
}

/** Messages on a canvas backend's port: sink → CPU side, CPU side → sink. */
export type CanvasPortMessage = { t: 'need-canvas' } | { t: 'canvas'; canvas: OffscreenCanvas | undefined };

/** Counters, for the benchmarks and the tests. */
export interface CanvasSinkStats {
  presents: number;
  rowsPainted: number;
  resizes: number;
  /** Canvases painted into (1 at power-on, +1 per canvas received after a restart). */
  canvases: number;
}

/** What the sink needs of an OffscreenCanvas (a structural subset, so Node tests can fake it). */
type CanvasLike = Pick<OffscreenCanvas, 'width' | 'height' | 'getContext'>;

export class CanvasSink implements DisplaySink {
  private ctx: OffscreenCanvasRenderingContext2D | undefined;
  private target: CanvasLike | undefined;
  /** The last frame presented: `rgba` is the renderer's live full-frame buffer. */
  private last: FrameUpdate | undefined;
  readonly stats: CanvasSinkStats = { presents: 0, rowsPainted: 0, resizes: 0, canvases: 0 };

  /** A sink over `canvas`, or one that paints nothing until attach() gives it a canvas. */
  constructor(canvas?: OffscreenCanvas) {
    if (canvas) this.attach(canvas);
  }

  /** The canvas painted now (undefined while waiting for one). */
  get canvas(): OffscreenCanvas | undefined {
    return this.target as OffscreenCanvas | undefined;
  }

  /** Paint into `canvas` from now on; the whole last frame goes into it at once. */
  attach(canvas: OffscreenCanvas): void {
    const ctx = (canvas as CanvasLike).getContext('2d', { alpha: false }) as OffscreenCanvasRenderingContext2D | null;
    if (!ctx) throw new Error('canvas sink: no 2D context on the OffscreenCanvas');
    this.ctx = ctx;
    this.target = canvas;
    this.stats.canvases++;
    const l = this.last;
    if (l && l.width > 0 && l.height > 0) this.paint(l, 0, l.height);
  }

  present(update: FrameUpdate): void {
    if (update.width <= 0 || update.height <= 0) return;
    this.last = update;
    if (!update.dirty || !this.ctx) return;
    this.paint(update, update.dirty.y0, update.dirty.y1);
  }

  private paint(update: Frame, y0: number, y1: number): void {
    const { width, height } = update;
    const canvas = this.target!;
    if (canvas.width !== width || canvas.height !== height) {
      // Resizing clears the canvas: paint the whole frame.
      canvas.width = width;
      canvas.height = height;
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
    this.ctx!.putImageData(new ImageData(rows, width, y1 - y0), 0, y0);
    this.stats.presents++;
    this.stats.rowsPainted += y1 - y0;
  }
}

interface PortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent) => void) | null;
  close(): void;
}

/**
 * The VGA backend for the isolated placement (CPU side). Each export (the first start, and every
 * restart of the display worker) reads `canvas` and `port`: the canvas is handed over once;
 * every export gets a new port (the previous one is closed), on which a sink without a canvas
 * asks for one and `provide()` (the page) answers — undefined when it has none to give.
 */
export function canvasBackend(canvas: OffscreenCanvas, provide?: () => Promise<OffscreenCanvas | undefined>): CanvasBackend {
  let pending: OffscreenCanvas | undefined = canvas;
  let served: PortLike | undefined;
  return {
    kind: CANVAS_BACKEND_KIND,
    get canvas() {
      const c = pending;
      pending = undefined;
      return c;
    },
    get port() {
      if (!provide) return undefined;
      served?.close();
      const mc = new MessageChannel();
      const mine: PortLike = mc.port1;
      served = mine;
      mine.onmessage = (ev) => {
        if ((ev.data as CanvasPortMessage | undefined)?.t !== 'need-canvas') return;
        provide().then(
          (c) => {
            if (served !== mine) return; // that worker is gone; the canvas stays unused
            mine.postMessage({ t: 'canvas', canvas: c } satisfies CanvasPortMessage, c ? [c] : []);
          },
          () => { if (served === mine) mine.postMessage({ t: 'canvas', canvas: undefined } satisfies CanvasPortMessage); },
        );
      };
      return mc.port2;
    },
  };
}

const isOffscreenCanvas = (c: unknown): c is OffscreenCanvas => typeof OffscreenCanvas === 'function' && c instanceof OffscreenCanvas;

/**
 * The worker side of a `{ kind: 'canvas', canvas, port }` description: a CanvasSink over the
 * canvas, or (no canvas, a port) a sink that asks for one and paints once it arrives; nothing
 * when there is neither. `isCanvas` is replaceable for Node tests.
 */
export function canvasSinkFromDescription(d: Record<string, unknown>, isCanvas: (c: unknown) => c is OffscreenCanvas = isOffscreenCanvas): CanvasSink | undefined {
  const c = isCanvas(d.canvas) ? d.canvas : undefined;
  const port = d.port && typeof (d.port as PortLike).postMessage === 'function' ? (d.port as PortLike) : undefined;
  if (!c && !port) return undefined;
  const sink = new CanvasSink(c);
  if (port) {
    port.onmessage = (ev) => {
      const m = ev.data as CanvasPortMessage | undefined;
      if (m?.t === 'canvas' && isCanvas(m.canvas) && !sink.canvas) sink.attach(m.canvas);
    };
    if (!c) port.postMessage({ t: 'need-canvas' } satisfies CanvasPortMessage);
  }
  return sink;
}

/** Register the worker-side adapter: `{ kind: 'canvas', canvas, port }` → a CanvasSink (or nothing). */
export function registerCanvasAdapter(): void {
  registerBackendAdapter(CANVAS_BACKEND_KIND, (d) => canvasSinkFromDescription(d));
}
