// Where machine tests find firmware and the CPU core: public/images (built by `npm run images`),
// else Debian's seabios package in /usr/share/seabios (the same files the images script copies).
import { existsSync, readFileSync } from 'node:fs';
import { CORE_WASM_PATH } from '../../src/cli/node-host.js';

export function firmwarePath(name: string): string | undefined {
  for (const p of [`public/images/${name}`, `/usr/share/seabios/${name}`]) if (existsSync(p)) return p;
  return undefined;
}

export function readFirmware(name: string): Uint8Array {
  const p = firmwarePath(name);
  if (!p) throw new Error(`${name} not found (run \`npm run images\`)`);
  return new Uint8Array(readFileSync(p));
}

/** Why a real-core machine test cannot run here, or undefined when it can. */
export function missingForBoot(): string | undefined {
  if (!existsSync(CORE_WASM_PATH)) return 'build/core.wasm is missing (run `npm run build:core`)';
  if (!firmwarePath('bios-256k.bin')) return 'bios-256k.bin is missing (run `npm run images`)';
  return undefined;
}
