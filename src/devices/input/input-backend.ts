/**
 * The input backend of the i8042: how host keyboard and pointer events reach the PS/2 devices.
 * The device model owns no DOM; the host (input worker, Node runner, test) passes an
 * InputBackend as `host.backend`, and the model attaches its InputSink to it.
 *
 * Conventions (chosen to match DOM events so the UI can forward them unchanged):
 *   - key codes are W3C UI Events `KeyboardEvent.code` strings ('KeyA', 'ArrowUp', 'Pause');
 *     auto-repeat is the host's: forward repeated keydown events as repeated key(code, true);
 *   - mouseMove: dx > 0 right, dy > 0 down (screen direction, like MouseEvent.movementY),
 *     dz > 0 wheel towards the user / scroll down (like WheelEvent.deltaY > 0), in counts;
 *   - mouseButtons: bit 0 left, 1 right, 2 middle, 3 back (4th), 4 forward (5th) — the layout
 *     of MouseEvent.buttons.
 */

/** Events the host sends to the PS/2 devices. */
export interface InputSink {
  key(code: string, down: boolean): void;
  mouseMove(dx: number, dy: number, dz: number): void;
  mouseButtons(mask: number): void;
}

/** Keyboard LEDs as last set by the guest (command 0xED). */
export interface KeyboardLeds {
  scrollLock: boolean;
  numLock: boolean;
  capsLock: boolean;
}

export interface InputBackend {
  /** The device registers its sink; events arriving later are delivered to it. Returns detach. */
  attach(sink: InputSink): () => void;
  /** Optional: the guest changed the keyboard LEDs. */
  setLeds?(leds: KeyboardLeds): void;
}

/**
 * An InputBackend that also is the host-facing InputSink: events sent before a device attached
 * are queued (bounded) and delivered on attach. Used by the input worker, the CLI and tests.
 */
export class InputEventHub implements InputBackend, InputSink {
  private sink: InputSink | undefined;
  private queue: ((s: InputSink) => void)[] = [];
  leds: KeyboardLeds = { scrollLock: false, numLock: false, capsLock: false };
  onLeds: ((leds: KeyboardLeds) => void) | undefined;

  attach(sink: InputSink): () => void {
    this.sink = sink;
    const q = this.queue;
    this.queue = [];
    for (const ev of q) ev(sink);
    return () => {
      if (this.sink === sink) this.sink = undefined;
    };
  }

  setLeds(leds: KeyboardLeds): void {
    this.leds = { ...leds };
    this.onLeds?.(this.leds);
  }

  key(code: string, down: boolean): void {
    this.dispatch((s) => s.key(code, down));
  }
  mouseMove(dx: number, dy: number, dz: number): void {
    this.dispatch((s) => s.mouseMove(dx, dy, dz));
  }
  mouseButtons(mask: number): void {
    this.dispatch((s) => s.mouseButtons(mask));
  }

  private dispatch(ev: (s: InputSink) => void): void {
    if (this.sink) ev(this.sink);
    else if (this.queue.length < 256) this.queue.push(ev);
  }
}
