/**
 * The VGA's canvas backend across a display-worker restart (src/workers/canvas-sink.ts): a canvas
 * is transferred once, so a restarted worker's sink asks the CPU side for a fresh one over the
 * backend's port and paints the whole last frame into it as soon as it arrives. Node has no
 * OffscreenCanvas or ImageData: the canvas is a fake recording its putImageData calls, and the
 * canvas hand-over uses an in-process port pair (a fake canvas cannot be structured-cloned); the
 * export through the real backend bridge uses Node's MessageChannel.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { CanvasSink, canvasBackend, canvasSinkFromDescription } from '../../src/workers/canvas-sink.js';
import { exportBackend, importBridged } from '../../src/workers/backend-bridge.js';
import type { FrameUpdate } from '../../src/devices/display/render/types.js';

class FakeImageData {
  constructor(readonly data: Uint8ClampedArray, readonly width: number, readonly height: number) {}
}

/** An OffscreenCanvas stand-in: size, and the rows put into it. */
class FakeCanvas {
  width = 300;
  height = 150;
  readonly puts: { y: number; rows: number; firstPixel: number[] }[] = [];
  getContext(): unknown {
    return {
      putImageData: (img: FakeImageData, _x: number, y: number) => {
        this.puts.push({ y, rows: img.height, firstPixel: [...img.data.subarray(0, 4)] });
      },
    };
  }
}
const asCanvas = (c: FakeCanvas): OffscreenCanvas => c as unknown as OffscreenCanvas;
const isFake = (c: unknown): c is OffscreenCanvas => c instanceof FakeCanvas;

/** An in-process MessageChannel: objects pass by reference, delivery is asynchronous. */
class FakePort {
  other!: FakePort;
  closed = false;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  postMessage(data: unknown): void {
    const to = this.other;
    if (this.closed || to.closed) return;
    queueMicrotask(() => { if (!to.closed) to.onmessage?.({ data }); });
  }
  close(): void { this.closed = true; }
}
class FakeChannel {
  readonly port1 = new FakePort();
  readonly port2 = new FakePort();
  constructor() { this.port1.other = this.port2; this.port2.other = this.port1; }
}

function frame(width: number, height: number, fill: number, dirty: { y0: number; y1: number } | null): FrameUpdate {
  const rgba = new Uint8ClampedArray(width * height * 4).fill(fill);
  return { width, height, rgba, dirty, mode: { kind: 'text', width, height } };
}

const settle = async (): Promise<void> => { for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0)); };

beforeEach(() => { vi.stubGlobal('ImageData', FakeImageData); });
afterEach(() => { vi.unstubAllGlobals(); });

describe('CanvasSink', () => {
  test('paints only the dirty rows into its canvas, and the whole frame on a resize', () => {
    const c = new FakeCanvas();
    const sink = new CanvasSink(asCanvas(c));
    sink.present(frame(8, 4, 1, { y0: 0, y1: 4 }));
    expect(c.width).toBe(8);
    expect(c.puts).toEqual([{ y: 0, rows: 4, firstPixel: [1, 1, 1, 1] }]);
    sink.present(frame(8, 4, 2, { y0: 2, y1: 3 }));
    expect(c.puts[1]).toEqual({ y: 2, rows: 1, firstPixel: [2, 2, 2, 2] });
    sink.present(frame(8, 4, 3, null));
    expect(c.puts).toHaveLength(2);
    expect(sink.stats).toMatchObject({ presents: 2, rowsPainted: 5, resizes: 1, canvases: 1 });
  });

  test('without a canvas it keeps the last frame and paints all of it into the canvas it gets', () => {
    const sink = new CanvasSink();
    const f = frame(16, 10, 7, { y0: 0, y1: 10 });
    sink.present(f);
    // Only the cursor rows change afterwards: the restarted renderer's full frame came before the canvas.
    f.rgba.fill(9, 0, 16 * 4);
    sink.present({ ...f, dirty: { y0: 0, y1: 1 } });
    expect(sink.stats.presents).toBe(0);
    const c = new FakeCanvas();
    sink.attach(asCanvas(c));
    expect(c.width).toBe(16);
    expect(c.height).toBe(10);
    expect(c.puts).toEqual([{ y: 0, rows: 10, firstPixel: [9, 9, 9, 9] }]);
    sink.present({ ...f, dirty: { y0: 3, y1: 4 } });
    expect(c.puts[1]).toMatchObject({ y: 3, rows: 1 });
  });
});

describe('canvas backend across a restart', () => {
  beforeEach(() => { vi.stubGlobal('MessageChannel', FakeChannel); });

  test('the first export hands over the canvas; a restarted worker asks for and paints a fresh one', async () => {
    const first = new FakeCanvas();
    const fresh: FakeCanvas[] = [];
    const provide = vi.fn(async () => { const c = new FakeCanvas(); fresh.push(c); return asCanvas(c); });
    const backend = canvasBackend(asCanvas(first), provide);

    // First start: what exportBackend reads (its walk reads every property once).
    const d1 = { kind: backend.kind, canvas: backend.canvas, port: backend.port };
    expect(d1.canvas).toBe(first);
    const sink1 = canvasSinkFromDescription(d1, isFake)!;
    sink1.present(frame(8, 4, 5, { y0: 0, y1: 4 }));
    await settle();
    expect(provide).not.toHaveBeenCalled();
    expect(first.puts).toHaveLength(1);

    // The worker dies and is started again: the backend is exported again.
    const d2 = { kind: backend.kind, canvas: backend.canvas, port: backend.port };
    expect(d2.canvas).toBeUndefined();
    expect((d1.port as unknown as FakePort).other.closed).toBe(true);
    const sink2 = canvasSinkFromDescription(d2, isFake)!;
    // The restarted VGA's first frame (a fresh renderer draws everything) before the canvas arrives.
    sink2.present(frame(8, 4, 6, { y0: 0, y1: 4 }));
    await settle();
    expect(provide).toHaveBeenCalledTimes(1);
    expect(sink2.canvas).toBe(fresh[0]);
    expect(fresh[0]!.puts).toEqual([{ y: 0, rows: 4, firstPixel: [6, 6, 6, 6] }]);
    expect(first.puts).toHaveLength(1);

    // And again: each restart gets its own canvas.
    const d3 = { kind: backend.kind, canvas: backend.canvas, port: backend.port };
    const sink3 = canvasSinkFromDescription(d3, isFake)!;
    await settle();
    sink3.present(frame(8, 4, 4, { y0: 1, y1: 2 }));
    expect(provide).toHaveBeenCalledTimes(2);
    expect(sink3.canvas).toBe(fresh[1]);
    expect(fresh[1]!.puts).toEqual([{ y: 0, rows: 4, firstPixel: [4, 4, 4, 4] }]);
  });

  test('a canvas the page gives after that worker was replaced again goes nowhere', async () => {
    let answer: (c: OffscreenCanvas | undefined) => void = () => {};
    const backend = canvasBackend(asCanvas(new FakeCanvas()), () => new Promise((r) => { answer = r; }));
    void backend.canvas;
    const d2 = { kind: backend.kind, canvas: undefined, port: backend.port };
    const sink2 = canvasSinkFromDescription(d2, isFake)!;
    await settle();
    void backend.port; // replaced before the page answered
    answer(asCanvas(new FakeCanvas()));
    await settle();
    expect(sink2.canvas).toBeUndefined();
  });

  test('no canvas from the page: the sink stays without one and the VGA keeps running', async () => {
    const backend = canvasBackend(asCanvas(new FakeCanvas()), async () => undefined);
    void backend.canvas;
    const sink = canvasSinkFromDescription({ kind: backend.kind, canvas: undefined, port: backend.port }, isFake)!;
    await settle();
    sink.present(frame(4, 4, 1, { y0: 0, y1: 4 }));
    expect(sink.canvas).toBeUndefined();
    expect(sink.stats.presents).toBe(0);
  });

  test('without a provider or a canvas there is no sink (the VGA runs without painting)', () => {
    const backend = canvasBackend(asCanvas(new FakeCanvas()));
    void backend.canvas;
    expect(backend.port).toBeUndefined();
    expect(canvasSinkFromDescription({ kind: backend.kind, canvas: backend.canvas, port: backend.port }, isFake)).toBeUndefined();
  });
});

describe('canvas backend through the backend bridge (Node MessageChannel)', () => {
  test('a re-export transfers a new port on which the restarted sink reaches the page', async () => {
    const provide = vi.fn(async () => undefined);
    const backend = canvasBackend(asCanvas(new FakeCanvas()), provide);
    void backend.canvas; // the first worker took it
    const ex = exportBackend(backend)!;
    expect(ex).toBeDefined();
    expect(ex.transfer).toHaveLength(1);
    const value = importBridged(ex.description as Record<string, unknown>) as Record<string, unknown>;
    expect(value.kind).toBe('canvas');
    expect(value.canvas).toBeUndefined();
    const sink = canvasSinkFromDescription(value, isFake)!;
    expect(sink).toBeDefined();
    for (let i = 0; i < 50 && provide.mock.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(provide).toHaveBeenCalledTimes(1);
    (value.port as MessagePort).close(); // closes both ends
    ex.dispose();
  });
});
