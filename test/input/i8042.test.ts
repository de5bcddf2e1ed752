/**
 * i8042 with PS/2 keyboard and mouse, driven through ports 0x60/0x64 only: controller
 * commands, command byte, keyboard commands, set 1 translation (checked against an
 * independently written set 1 table), LEDs, the IntelliMouse knock and packets, A20 and reset
 * through the output port, and IRQ 1 / IRQ 12 behaviour.
 */
import { describe, expect, it } from 'vitest';
import { fakeHost, type FakeHost } from '../fakes.js';
import { i8042Type } from '../../src/devices/input/index.js';
import { InputEventHub } from '../../src/devices/input/input-backend.js';
import type { DeviceModel } from '../../src/devices/api.js';

interface Rig {
  host: FakeHost;
  dev: DeviceModel;
  hub: InputEventHub;
  shadow: number[];
  cmd(v: number): void;
  data(v: number): void;
  status(): number;
  /** Wait for the output buffer (up to 5 ms of virtual time) and read it. */
  read(): number;
  /** Read everything that arrives. */
  drain(): number[];
  /** Controller command with a one-byte response. */
  query(c: number): number;
}

function rig(): Rig {
  const hub = new InputEventHub();
  const host = fakeHost({ backend: hub });
  const shadow: number[] = [];
  host.publishShadow = (region, offset, _s, v) => {
    expect([region, offset]).toEqual([1, 0]);
    shadow.push(v);
  };
  const dev = i8042Type.create(host, {});
  const status = (): number => dev.ioRead!(1, 0, 1);
  const r: Rig = {
    host, dev, hub, shadow,
    cmd: (v) => dev.ioWrite!(1, 0, 1, v),
    data: (v) => dev.ioWrite!(0, 0, 1, v),
    status,
    read: () => {
      for (let i = 0; i < 100 && !(status() & 1); i++) host.clock.advance(50_000);
      if (!(status() & 1)) throw new Error('output buffer stayed empty');
      return dev.ioRead!(0, 0, 1);
    },
    drain: () => {
      const out: number[] = [];
      for (;;) {
        for (let i = 0; i < 20 && !(status() & 1); i++) host.clock.advance(50_000);
        if (!(status() & 1)) return out;
        out.push(dev.ioRead!(0, 0, 1));
      }
    },
    query: (c) => {
      r.cmd(c);
      return r.read();
    },
  };
  return r;
}

/** Command byte: keyboard IRQ, aux IRQ, system flag, plus translation if asked. */
function setCtr(r: Rig, v: number): void {
  r.cmd(0x60);
  r.data(v);
}

/** Set 1 make codes, written from the IBM PC/XT/AT scan code tables (not derived from set 2). */
const SET1: Record<string, number[]> = {
  Escape: [0x01], Digit1: [0x02], Digit2: [0x03], Digit3: [0x04], Digit4: [0x05], Digit5: [0x06],
  Digit6: [0x07], Digit7: [0x08], Digit8: [0x09], Digit9: [0x0a], Digit0: [0x0b], Minus: [0x0c],
  Equal: [0x0d], Backspace: [0x0e], Tab: [0x0f], KeyQ: [0x10], KeyW: [0x11], KeyE: [0x12],
  KeyR: [0x13], KeyT: [0x14], KeyY: [0x15], KeyU: [0x16], KeyI: [0x17], KeyO: [0x18], KeyP: [0x19],
  BracketLeft: [0x1a], BracketRight: [0x1b], Enter: [0x1c], ControlLeft: [0x1d], KeyA: [0x1e],
  KeyS: [0x1f], KeyD: [0x20], KeyF: [0x21], KeyG: [0x22], KeyH: [0x23], KeyJ: [0x24], KeyK: [0x25],
  KeyL: [0x26], Semicolon: [0x27], Quote: [0x28], Backquote: [0x29], ShiftLeft: [0x2a],
  Backslash: [0x2b], KeyZ: [0x2c], KeyX: [0x2d], KeyC: [0x2e], KeyV: [0x2f], KeyB: [0x30],
  KeyN: [0x31], KeyM: [0x32], Comma: [0x33], Period: [0x34], Slash: [0x35], ShiftRight: [0x36],
  NumpadMultiply: [0x37], AltLeft: [0x38], Space: [0x39], CapsLock: [0x3a], F1: [0x3b], F2: [0x3c],
  F3: [0x3d], F4: [0x3e], F5: [0x3f], F6: [0x40], F7: [0x41], F8: [0x42], F9: [0x43], F10: [0x44],
  NumLock: [0x45], ScrollLock: [0x46], Numpad7: [0x47], Numpad8: [0x48], Numpad9: [0x49],
  NumpadSubtract: [0x4a], Numpad4: [0x4b], Numpad5: [0x4c], Numpad6: [0x4d], NumpadAdd: [0x4e],
  Numpad1: [0x4f], Numpad2: [0x50], Numpad3: [0x51], Numpad0: [0x52], NumpadDecimal: [0x53],
  IntlBackslash: [0x56], F11: [0x57], F12: [0x58],
  NumpadEnter: [0xe0, 0x1c], ControlRight: [0xe0, 0x1d], NumpadDivide: [0xe0, 0x35],
  AltRight: [0xe0, 0x38], Home: [0xe0, 0x47], ArrowUp: [0xe0, 0x48], PageUp: [0xe0, 0x49],
  ArrowLeft: [0xe0, 0x4b], ArrowRight: [0xe0, 0x4d], End: [0xe0, 0x4f], ArrowDown: [0xe0, 0x50],
  PageDown: [0xe0, 0x51], Insert: [0xe0, 0x52], Delete: [0xe0, 0x53], MetaLeft: [0xe0, 0x5b],
  MetaRight: [0xe0, 0x5c], ContextMenu: [0xe0, 0x5d],
};

describe('i8042 controller', () => {
  it('self-test answers 0x55 and sets the system flag; interface tests answer 0', () => {
    const r = rig();
    expect(r.status() & 0x04).toBe(0);
    expect(r.query(0xaa)).toBe(0x55);
    expect(r.status() & 0x04).toBe(0x04);
    expect(r.query(0xab)).toBe(0x00);
    expect(r.query(0xa9)).toBe(0x00);
    expect(r.status() & 0x01).toBe(0);
  });

  it('reads and writes the command byte; SYS and A2 status bits follow', () => {
    const r = rig();
    expect(r.query(0x20)).toBe(0x03);
    setCtr(r, 0x65);
    expect(r.status() & 0x08).toBe(0); // last write was data
    expect(r.status() & 0x04).toBe(0x04); // SYS from command byte bit 2
    expect(r.query(0x20)).toBe(0x65);
    expect(r.status() & 0x08).toBe(0x08); // last write was a command
    r.cmd(0xad);
    r.cmd(0xa7);
    expect(r.query(0x20)).toBe(0x75 | 0x20);
    r.cmd(0xae);
    r.cmd(0xa8);
    expect(r.query(0x20)).toBe(0x45);
    // Internal RAM beyond the command byte.
    r.cmd(0x65);
    r.data(0x99);
    expect(r.query(0x25)).toBe(0x99);
    expect(r.status() & 0x10).toBe(0x10); // keyboard not inhibited
  });

  it('A20 and reset through the output port and pulse commands', () => {
    const r = rig();
    r.cmd(0xd1);
    r.data(0xdd); // A20 off, reset line high
    expect(r.host.a20).toEqual([false]);
    expect(r.query(0xd0) & 0x03).toBe(0x01);
    r.cmd(0xd1);
    r.data(0xdf);
    expect(r.host.a20).toEqual([false, true]);
    expect(r.query(0xd0) & 0x03).toBe(0x03);
    expect(r.host.resets).toEqual([]);
    r.cmd(0xff); // pulse nothing
    expect(r.host.resets).toEqual([]);
    r.cmd(0xfe); // pulse bit 0: CPU reset
    expect(r.host.resets.length).toBe(1);
    r.cmd(0xd1);
    r.data(0xde); // bit 0 low
    expect(r.host.resets.length).toBe(2);
    r.cmd(0xdd);
    expect(r.host.a20.at(-1)).toBe(false);
    r.cmd(0xdf);
    expect(r.host.a20.at(-1)).toBe(true);
  });

  it('writes to the keyboard/aux output buffers (0xD2/0xD3) and the Linux aux loop test', () => {
    const r = rig();
    r.cmd(0xd3);
    r.data(0x5a);
    expect(r.status() & 0x21).toBe(0x21); // OBF + AUXB
    expect(r.host.irqs[1].level).toBe(true);
    expect(r.host.irqs[0].level).toBe(false);
    expect(r.read()).toBe(0x5a);
    expect(r.host.irqs[1].level).toBe(false);
    r.cmd(0xd2);
    r.data(0x12);
    expect(r.status() & 0x21).toBe(0x01);
    expect(r.host.irqs[0].level).toBe(true);
    expect(r.read()).toBe(0x12);
  });

  it('raises IRQ 1 only when enabled in the command byte, with an edge per byte', () => {
    const r = rig();
    setCtr(r, 0x00);
    r.hub.key('KeyA', true);
    expect(r.status() & 1).toBe(1);
    expect(r.host.irqs[0].level).toBe(false);
    expect(r.read()).toBe(0x1c);
    setCtr(r, 0x01);
    r.hub.key('KeyA', false);
    r.host.clock.advance(100_000); // the wire delay after the previous read
    expect(r.host.irqs[0].level).toBe(true);
    const raises = r.host.irqs[0].raises;
    expect(r.dev.ioRead!(0, 0, 1)).toBe(0xf0);
    expect(r.host.irqs[0].level).toBe(false); // drops while the next byte is on the wire
    expect(r.status() & 1).toBe(0);
    r.host.clock.advance(100_000);
    expect(r.host.irqs[0].level).toBe(true);
    expect(r.host.irqs[0].raises).toBe(raises + 1);
    expect(r.dev.ioRead!(0, 0, 1)).toBe(0x1c);
  });

  it('holds keyboard data while the keyboard port is disabled', () => {
    const r = rig();
    r.cmd(0xad);
    r.hub.key('KeyB', true);
    expect(r.status() & 1).toBe(0);
    r.cmd(0xae);
    expect(r.read()).toBe(0x32);
  });

  it('publishes the status register as a shadow', () => {
    const r = rig();
    r.cmd(0xaa);
    expect(r.shadow.at(-1)).toBe(r.status());
    r.read();
    expect(r.shadow.at(-1)).toBe(r.status());
    expect(r.shadow.at(-1)! & 1).toBe(0);
  });
});

describe('PS/2 keyboard', () => {
  it('reset answers FA AA and identify FA AB 83 (AB 41 through translation)', () => {
    const r = rig();
    r.data(0xff);
    expect(r.drain()).toEqual([0xfa, 0xaa]);
    r.data(0xf2);
    expect(r.drain()).toEqual([0xfa, 0xab, 0x83]);
    setCtr(r, 0x43);
    r.data(0xf2);
    expect(r.drain()).toEqual([0xfa, 0xab, 0x41]);
  });

  it('echo, scan code set query and switch, enable/disable, unknown command', () => {
    const r = rig();
    r.data(0xee);
    expect(r.drain()).toEqual([0xee]);
    r.data(0xf0);
    r.data(0x00);
    expect(r.drain()).toEqual([0xfa, 0xfa, 0x02]);
    r.data(0xf0);
    r.data(0x01);
    expect(r.drain()).toEqual([0xfa, 0xfa]);
    r.hub.key('KeyA', true);
    r.hub.key('KeyA', false);
    expect(r.drain()).toEqual([0x1e, 0x9e]); // native set 1, no translation
    r.data(0xf0);
    r.data(0x03);
    expect(r.drain()).toEqual([0xfa, 0xfe]); // set 3 refused
    r.data(0xf5);
    expect(r.drain()).toEqual([0xfa]);
    r.hub.key('KeyA', true);
    expect(r.drain()).toEqual([]); // scanning disabled
    r.data(0xf4);
    r.data(0xf3);
    r.data(0x20);
    expect(r.drain()).toEqual([0xfa, 0xfa, 0xfa]);
    r.data(0xab);
    expect(r.drain()).toEqual([0xfe]);
  });

  it('sets the LEDs with 0xED and reports them to the backend', () => {
    const r = rig();
    r.data(0xed);
    expect(r.drain()).toEqual([0xfa]);
    r.data(0x05);
    expect(r.drain()).toEqual([0xfa]);
    expect(r.hub.leds).toEqual({ scrollLock: true, numLock: false, capsLock: true });
    r.data(0xed);
    r.data(0x02);
    r.drain();
    expect(r.hub.leds).toEqual({ scrollLock: false, numLock: true, capsLock: false });
  });

  it('sends set 2 make/break codes without translation', () => {
    const r = rig();
    setCtr(r, 0x03);
    r.hub.key('KeyA', true);
    r.hub.key('KeyA', false);
    r.hub.key('ArrowUp', true);
    r.hub.key('ArrowUp', false);
    expect(r.drain()).toEqual([0x1c, 0xf0, 0x1c, 0xe0, 0x75, 0xe0, 0xf0, 0x75]);
  });

  it('translates every mapped key to the standard set 1 codes with XLAT', () => {
    const r = rig();
    setCtr(r, 0x43);
    for (const [code, make] of Object.entries(SET1)) {
      r.hub.key(code, true);
      expect(r.drain(), `${code} make`).toEqual(make);
      r.hub.key(code, false);
      const brk = make.length === 2 ? [0xe0, make[1] | 0x80] : [make[0] | 0x80];
      expect(r.drain(), `${code} break`).toEqual(brk);
    }
  });

  it('translates Pause and Print Screen', () => {
    const r = rig();
    setCtr(r, 0x43);
    r.hub.key('Pause', true);
    r.hub.key('Pause', false);
    expect(r.drain()).toEqual([0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
    r.hub.key('PrintScreen', true);
    expect(r.drain()).toEqual([0xe0, 0x2a, 0xe0, 0x37]);
    r.hub.key('PrintScreen', false);
    expect(r.drain()).toEqual([0xe0, 0xb7, 0xe0, 0xaa]);
  });

  it('replaces keys that do not fit in the 16-byte buffer by the overrun code', () => {
    const r = rig();
    setCtr(r, 0x00);
    r.cmd(0xad); // hold data in the keyboard
    for (let i = 0; i < 10; i++) r.hub.key('ArrowLeft', true); // 2 bytes each
    r.cmd(0xae);
    const got = r.drain();
    expect(got).toEqual([...Array(8).fill([0xe0, 0x6b]).flat(), 0x00]);
    r.hub.key('ArrowLeft', false); // room again
    expect(r.drain()).toEqual([0xe0, 0xf0, 0x6b]);
  });
});

describe('PS/2 mouse', () => {
  function aux(r: Rig, ...bytes: number[]): number[] {
    for (const b of bytes) {
      r.cmd(0xd4);
      r.data(b);
    }
    return r.drain();
  }

  it('reset, ID, status request and defaults', () => {
    const r = rig();
    expect(aux(r, 0xff)).toEqual([0xfa, 0xaa, 0x00]);
    expect(aux(r, 0xf2)).toEqual([0xfa, 0x00]);
    expect(aux(r, 0xe9)).toEqual([0xfa, 0x00, 0x02, 100]);
    expect(aux(r, 0xe8, 0x03, 0xe7, 0xf3, 40, 0xf4)).toEqual(Array(6).fill(0xfa));
    expect(aux(r, 0xe9)).toEqual([0xfa, 0x20 | 0x10, 0x03, 40]);
    expect(aux(r, 0xf6, 0xe9)).toEqual([0xfa, 0xfa, 0x00, 0x02, 100]);
    expect(aux(r, 0xa0)).toEqual([0xfe]);
  });

  it('the IntelliMouse knock 200/100/80 gives ID 3 and 4-byte packets with the wheel', () => {
    const r = rig();
    setCtr(r, 0x47);
    expect(aux(r, 0xf3, 200, 0xf3, 100, 0xf3, 80)).toEqual(Array(6).fill(0xfa));
    expect(aux(r, 0xf2)).toEqual([0xfa, 0x03]);
    expect(aux(r, 0xf4)).toEqual([0xfa]);
    r.hub.mouseMove(10, -5, 1); // right 10, up 5, wheel down 1
    expect(r.status() & 0x20).toBe(0x20);
    expect(r.host.irqs[1].level).toBe(true);
    expect(r.host.irqs[0].level).toBe(false);
    expect(r.drain()).toEqual([0x08, 10, 5, 0x01]);
    r.hub.mouseMove(-3, 4, -2); // left 3, down 4, wheel up 2
    expect(r.drain()).toEqual([0x08 | 0x10 | 0x20, 0xfd, 0xfc, 0xfe]);
    r.hub.mouseButtons(1 | 4); // left + middle
    expect(r.drain()).toEqual([0x08 | 0x01 | 0x04, 0, 0, 0]);
    r.hub.mouseButtons(2);
    expect(r.drain()).toEqual([0x08 | 0x02, 0, 0, 0]);
  });

  it('sets the overflow bits when a counter leaves -256..255', () => {
    const r = rig();
    aux(r, 0xf4);
    r.hub.mouseMove(-300, -400, 0); // left 300, up 400
    expect(r.drain()).toEqual([0x08 | 0x10 | 0x40 | 0x80, 0x00, 0xff]);
    r.hub.mouseMove(255, 256, 0); // right 255 fits; down 256 is -256: fits
    expect(r.drain()).toEqual([0x08 | 0x20, 0xff, 0x00]);
  });

  it('remote mode reports only on read-data; wrap mode echoes', () => {
    const r = rig();
    aux(r, 0xf4, 0xf0);
    r.hub.mouseMove(7, 0, 0);
    expect(r.drain()).toEqual([]);
    expect(aux(r, 0xeb)).toEqual([0xfa, 0x08, 7, 0]);
    expect(aux(r, 0xea)).toEqual([0xfa]);
    expect(aux(r, 0xee)).toEqual([0xfa]);
    expect(aux(r, 0x12, 0x34)).toEqual([0x12, 0x34]);
    expect(aux(r, 0xec)).toEqual([0xfa]);
    expect(aux(r, 0xf2)).toEqual([0xfa, 0x00]);
  });

  it('does not report while disabled and needs IRQ 12 enabled for interrupts', () => {
    const r = rig();
    setCtr(r, 0x01);
    r.hub.mouseMove(5, 5, 0);
    expect(r.drain()).toEqual([]);
    aux(r, 0xf4);
    r.hub.mouseMove(5, 0, 0);
    expect(r.status() & 0x21).toBe(0x21);
    expect(r.host.irqs[1].level).toBe(false);
    expect(r.drain()).toEqual([0x08, 5, 0]);
  });
});

describe('shadow status and interrupts', () => {
  // In the isolated placement the guest's interrupt handler reads the status register from the
  // shadow page as soon as it sees the IRQ. A status published after the IRQ rose made Linux's
  // i8042 driver drop the byte ("interrupt without any data") and lose the mouse's ACKs.
  it('publishes the status with OBF (and AUXB for aux data) before it raises IRQ 1 or IRQ 12', () => {
    const r = rig();
    const edges: { line: number; status: number }[] = [];
    [0, 1].forEach((n) => {
      const line = r.host.irqs[n];
      const set = line.set.bind(line);
      line.set = (level: boolean): void => {
        if (level && !line.level) edges.push({ line: n, status: r.shadow.at(-1) ?? -1 });
        set(level);
      };
    });
    setCtr(r, 0x47);
    r.hub.key('KeyA', true);
    expect(r.drain()).toEqual([0x1e]);
    r.cmd(0xd4);
    r.data(0xf2);
    expect(r.drain()).toEqual([0xfa, 0x00]);
    r.cmd(0xd4);
    r.data(0xf4);
    expect(r.drain()).toEqual([0xfa]);
    r.hub.mouseMove(3, 0, 0);
    expect(r.drain()).toEqual([0x08, 3, 0]);
    expect(edges.filter((e) => e.line === 0)).toHaveLength(1);
    expect(edges.filter((e) => e.line === 1)).toHaveLength(6);
    for (const e of edges) expect(e.status & 0x21, `IRQ ${e.line === 0 ? 1 : 12}`).toBe(e.line === 0 ? 0x01 : 0x21);
  });
});
