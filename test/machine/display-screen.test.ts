// Screen access in both placements (src/machine/screen-access.ts): SeaBIOS POST with SeaVGABIOS
// (vgabios-stdvga.bin) on the std VGA, no disks, to "No bootable device.". Isolated, the VGA runs
// in the display worker and the text, the PNG and the mode come back through its control calls
// (comlink), rendered there; the same screen must come out of the monolithic placement. No Linux.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import { displayMode, pngNotBlank } from '../../src/machine/screen-access.js';
import type { Placement } from '../../src/channel/placement.js';
import { firmwarePath, missingForBoot, readFirmware } from './firmware.js';
import { decodeRgb } from './png-rgb.js';

const missing = missingForBoot() ?? (firmwarePath('vgabios-stdvga.bin') ? undefined : 'vgabios-stdvga.bin is missing (run `npm run images`)');
const machines: Machine[] = [];
afterEach(async () => {
  for (const m of machines.splice(0)) await m.stop();
});

async function post(placement: Placement): Promise<Machine> {
  const m = await createMachine({
    ramMiB: 32,
    bios: readFirmware('bios-256k.bin'),
    vgaBios: readFirmware('vgabios-stdvga.bin'),
    devices: [{ type: 'VGA', id: 'vga' }],
    placement,
  }, nodeMachineHost({ launcher: placement === 'isolated' ? nodeWorkerLauncher() : undefined }));
  machines.push(m);
  await m.runUntilText('No bootable device.', 90_000, ['debugcon']);
  await m.pause();
  return m;
}

describe.skipIf(missing !== undefined)(`screen access${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('isolated: the display worker answers screenText, screenshotPng and displayMode; same screen as monolithic', async () => {
    const iso = await post('isolated');
    expect(iso.placed?.placement).toBe('isolated');
    expect(iso.display()).toBeUndefined(); // no model in this thread: only the async calls work
    const text = await iso.screenText();
    // SeaBIOS's banner and boot messages, drawn by SeaVGABIOS in the 80x25 text mode.
    expect(text).toMatch(/^SeaBIOS \(version [^)]+\)$/m);
    expect(text).toContain('No bootable device.');
    const lines = text.split('\n');
    expect(lines.length).toBe(25);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(await displayMode(iso)).toMatchObject({ kind: 'text', width: 720, height: 400, cols: 80, rows: 25 });

    const png = (await iso.screenshotPng())!;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(pngNotBlank(png)).toBe(true);
    const pic = decodeRgb(png);
    expect([pic.width, pic.height]).toEqual([720, 400]);
    // Light-grey glyph pixels on black, as vgacon/SeaVGABIOS attribute 0x07 gives.
    let lit = 0;
    for (let i = 0; i < pic.rgb.length; i += 3) if (pic.rgb[i] === 0xaa && pic.rgb[i + 1] === 0xaa && pic.rgb[i + 2] === 0xaa) lit++;
    expect(lit).toBeGreaterThan(1000);

    const mono = await post('monolithic');
    expect(await mono.screenText()).toBe(text);
    expect(mono.display()?.screenText()).toBe(text);
    const monoPic = decodeRgb((await mono.screenshotPng())!);
    // The same picture, except the blinking cursor (its phase follows each run's virtual time):
    // differing pixels only inside one character cell (9x16).
    const diff: number[] = [];
    for (let i = 0; i < pic.rgb.length; i += 3) {
      if (monoPic.rgb[i] !== pic.rgb[i] || monoPic.rgb[i + 1] !== pic.rgb[i + 1] || monoPic.rgb[i + 2] !== pic.rgb[i + 2]) diff.push(i / 3);
    }
    const xs = diff.map((p) => p % 720), ys = diff.map((p) => Math.floor(p / 720));
    if (diff.length > 0) {
      expect(Math.floor(Math.min(...xs) / 9)).toBe(Math.floor(Math.max(...xs) / 9));
      expect(Math.floor(Math.min(...ys) / 16)).toBe(Math.floor(Math.max(...ys) / 16));
    }
  }, 240_000);

  it('isolated: screen calls reject once the display worker has failed', async () => {
    const m = await post('isolated');
    expect(await m.screenText()).toContain('SeaBIOS');
    m.placed!.crash('vga');
    // The crash is posted to the worker's ring; the next poll notices its death.
    const t0 = Date.now();
    while (m.placed!.health('vga') === 'running' && Date.now() - t0 < 20_000) {
      await new Promise((r) => setTimeout(r, 20));
      m.placed!.poll();
    }
    expect(m.placed!.health('vga')).toBe('stopped');
    await expect(m.screenText()).rejects.toThrow(/display worker is stopped/);
    await expect(m.screenshotPng()).rejects.toThrow(/display worker is stopped/);
  }, 180_000);

  it('without a display device: no text and no picture', async () => {
    const m = await createMachine({ ramMiB: 32, bios: readFirmware('bios-256k.bin') }, nodeMachineHost());
    machines.push(m);
    expect(await m.screenText()).toBe('');
    expect(await m.screenshotPng()).toBeUndefined();
  });
});
