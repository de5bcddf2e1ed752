/** Registry conformance for the input class (i8042). */
import { describe, it } from 'vitest';
import { inputDeviceTypes } from '../../src/devices/input/index.js';
import { InputEventHub } from '../../src/devices/input/input-backend.js';
import { knownKeyCodes } from '../../src/devices/input/scancodes.js';
import { checkConformance } from '../console/conformance-helper.js';

const codes = knownKeyCodes();

describe('input device conformance', () => {
  for (const type of inputDeviceTypes) {
    it(`${type.name}: reset idempotent, state round-trip, unknown offsets safe, fuzz`, () => {
      checkConformance({
        type,
        makeBackend: () => new InputEventHub(),
        externalFields: ['mouse.buttons'],
        poke: (be, rnd) => {
          const hub = be as InputEventHub;
          const r = rnd();
          if (r < 0.5) hub.key(codes[Math.floor(rnd() * codes.length)], rnd() < 0.5);
          else if (r < 0.8) hub.mouseMove(Math.floor(rnd() * 1000 - 500), Math.floor(rnd() * 1000 - 500), Math.floor(rnd() * 20 - 10));
          else hub.mouseButtons(Math.floor(rnd() * 32));
        },
      });
    });
  }
});
