/** Registry conformance for the console class (isa-serial). */
import { describe, it } from 'vitest';
import { consoleDeviceTypes } from '../../src/devices/console/index.js';
import { BufferedSerialBackend } from '../../src/devices/console/serial-backend.js';
import { checkConformance } from './conformance-helper.js';

describe('console device conformance', () => {
  for (const type of consoleDeviceTypes) {
    it(`${type.name}: reset idempotent, state round-trip, unknown offsets safe, fuzz`, () => {
      checkConformance({
        type,
        makeBackend: () => new BufferedSerialBackend(),
        externalFields: ['inputs', 'msrLines'],
        poke: (be, rnd) => {
          const b = be as BufferedSerialBackend;
          if (rnd() < 0.8) b.input(Uint8Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)));
          else b.setModemInputs({ cts: rnd() < 0.5, dsr: rnd() < 0.5, ri: rnd() < 0.5, dcd: rnd() < 0.5 });
        },
      });
    });
  }
});
