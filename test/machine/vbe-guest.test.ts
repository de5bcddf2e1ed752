// A guest program in a VBE graphics mode, end to end: SeaBIOS boots a floppy whose boot sector
// (assembled here with nasm) asks SeaVGABIOS for VBE mode 0x112 (640x480, 24 bpp) with INT 10h
// AX=4F02h (VBE 2.0 "Set SuperVGA video mode"), draws two colour bands through the 64 KiB banked
// window at A000:0000 and reports on the debug console (port 0x402). The display worker
// (isolated placement) renders the picture; the test reads the pixels back from the PNG.
import { afterEach, describe, expect, it } from 'vitest';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import { MemoryBlock } from '../../src/block/memory.js';
import { displayMode } from '../../src/machine/screen-access.js';
import { assemble } from '../cpu/harness.js';
import { firmwarePath, missingForBoot, readFirmware } from './firmware.js';
import { decodeRgb } from './png-rgb.js';

const missing = missingForBoot() ?? (firmwarePath('vgabios-stdvga.bin') ? undefined : 'vgabios-stdvga.bin is missing (run `npm run images`)');
const machines: Machine[] = [];
afterEach(async () => {
  for (const m of machines.splice(0)) await m.stop();
});

const BOOT_SECTOR = `
bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  mov ax, 0x4f02          ; VBE: set mode
  mov bx, 0x0112          ; 640x480x24, banked window, clear memory
  int 0x10
  cmp ax, 0x004f
  jne fail
  mov ax, 0xa000
  mov es, ax
  xor di, di
  mov cx, 6400            ; lines 0-9: red (B, G, R byte order)
red:
  mov byte [es:di], 0
  mov byte [es:di+1], 0
  mov byte [es:di+2], 0xff
  add di, 3
  loop red
  mov cx, 14400           ; the next 22.5 lines: blue
blue:
  mov byte [es:di], 0xff
  mov byte [es:di+1], 0
  mov byte [es:di+2], 0
  add di, 3
  loop blue
  mov si, ok
  jmp print
fail:
  mov si, bad
print:
  mov dx, 0x402
next:
  lodsb
  test al, al
  jz done
  out dx, al
  jmp next
done:
  cli
  hlt
  jmp done
ok: db 'VBE-DRAWN', 10, 0
bad: db 'VBE-FAILED', 10, 0
times 510-($-$$) db 0
dw 0xaa55
`;

describe.skipIf(missing !== undefined)(`VBE graphics from a guest program${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('INT 10h 4F02h mode 0x112 through SeaVGABIOS, drawn through the banked window, rendered by the display worker', async () => {
    const floppy = new Uint8Array(1_474_560);
    floppy.set(assemble(BOOT_SECTOR));
    const m = await createMachine({
      ramMiB: 32,
      bios: readFirmware('bios-256k.bin'),
      vgaBios: readFirmware('vgabios-stdvga.bin'),
      devices: [
        { type: 'VGA', id: 'vga' },
        { type: 'isa-fdc', props: { fda: 'auto' }, backend: { fda: new MemoryBlock(floppy) } },
      ],
      bootOrder: ['floppy'],
      placement: 'isolated',
    }, nodeMachineHost({ launcher: nodeWorkerLauncher() }));
    machines.push(m);
    await m.runUntilText('VBE-', 120_000, ['debugcon']);
    for (let i = 0; i < 250 && !/VBE-\w+\n/.test(m.consoleText('debugcon')); i++) await new Promise((r) => setTimeout(r, 20));
    expect(m.consoleText('debugcon')).toContain('VBE-DRAWN');
    expect(await displayMode(m)).toMatchObject({ kind: 'vbe', width: 640, height: 480, bpp: 24 });
    const png = await m.screenshotPng();
    expect(png).toBeDefined();
    const pic = decodeRgb(png!);
    expect([pic.width, pic.height]).toEqual([640, 480]);
    expect(pic.at(5, 5)).toEqual([255, 0, 0]);
    expect(pic.at(639, 9)).toEqual([255, 0, 0]);
    expect(pic.at(0, 10)).toEqual([0, 0, 255]);
    expect(pic.at(319, 32)).toEqual([0, 0, 255]);
    expect(pic.at(320, 32)).toEqual([0, 0, 0]); // the band ends mid-line: 20800 pixels in all
    expect(pic.at(5, 100)).toEqual([0, 0, 0]); // mode set cleared the rest
  }, 180_000);
});
