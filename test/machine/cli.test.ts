// The `bulkhead` command line: strict option parsing, and whole runs of `npx bulkhead` (exit 0
// when --until matches, 1 with a one-line message on timeout, 2 on usage errors).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_WASM_PATH } from '../../src/cli/node-host.js';
import { describe, expect, it } from 'vitest';
import { helpText, parseArgs, UsageError } from '../../src/cli/options.js';
import { resolveDevice } from '../../src/cli/main.js';
import { firmwarePath, missingForBoot } from './firmware.js';

describe('bulkhead options', () => {
  it('has defaults and parses every option', () => {
    const d = parseArgs([]);
    expect(d).toMatchObject({ bios: 'public/images/bios-256k.bin', vgaBios: 'public/images/vgabios-stdvga.bin', memMiB: 128, tracePorts: [] });
    const o = parseArgs([
      '--bios', 'a.bin', '--vga-bios=v.bin', '--mem', '64', '--debugcon', 'stdout', '--trace-port', '0x3f8',
      '--trace-port=128', '--trace-hex', '--until', 'No bootable device.', '--timeout', '2.5', '--verbose',
    ]);
    expect(o).toMatchObject({
      bios: 'a.bin', vgaBios: 'v.bin', memMiB: 64, debugcon: 'stdout', tracePorts: [0x3f8, 128], traceHex: true,
      until: 'No bootable device.', timeoutS: 2.5, verbose: true,
    });
  });

  it('rejects unknown options, missing arguments and malformed numbers with one clear line', () => {
    const err = (argv: string[]) => {
      try {
        parseArgs(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(['--hdx', 'x'])).toBe("unknown option '--hdx' (see --help)");
    expect(err(['--mem'])).toBe('--mem needs an argument MB');
    expect(err(['--mem', '12abc'])).toBe("--mem: '12abc' is not a whole number");
    expect(err(['--mem', '1e3'])).toBe("--mem: '1e3' is not a whole number");
    expect(err(['--mem', '8'])).toBe('--mem: 8 is out of range (16..1024)');
    expect(err(['--trace-port', '0x10000'])).toBe('--trace-port: 65536 is out of range (0..65535)');
    expect(err(['--timeout', '-1'])).toBe("--timeout: '-1' is not a number");
    expect(err(['--timeout', '0'])).toBe('--timeout: must be more than 0 seconds');
    expect(err(['--trace-hex=1'])).toBe('--trace-hex takes no argument');
    expect(err(['stray'])).toMatch(/unexpected argument 'stray'/);
    expect(helpText()).toMatch(/--trace-port PORT/);
    expect(err(['--placement', 'split'])).toBe("--placement: 'split' is not one of isolated, monolithic");
    expect(err(['--device', 'VGA,vgamem_mb'])).toBe("--device VGA: 'vgamem_mb' is not PROP=VALUE");
  });

  it('parses devices and placement options and checks devices against the registry', () => {
    const o = parseArgs(['--device', 'VGA,vgamem_mb=16', '--device=isa-serial', '--placement', 'monolithic',
      '--on-device-failure', 'detach', '--read-deadline', '250']);
    expect(o.devices).toEqual([{ type: 'VGA', props: { vgamem_mb: '16' } }, { type: 'isa-serial', props: {} }]);
    expect(o).toMatchObject({ placement: 'monolithic', onDeviceFailure: 'detach', readDeadlineMs: 250 });
    expect(resolveDevice(o.devices[0])).toEqual({ type: 'VGA', props: { vgamem_mb: 16 } });
    expect(resolveDevice({ type: 'isa-serial', props: { index: '0x1' } })).toEqual({ type: 'isa-serial', props: { index: 1 } });
    expect(() => resolveDevice({ type: 'floppy-drive-x', props: {} })).toThrow(/unknown device type 'floppy-drive-x' \(available: .*isa-serial/);
    expect(() => resolveDevice({ type: 'isa-pit', props: {} })).toThrow(/part of the chipset/);
    expect(() => resolveDevice({ type: 'isa-serial', props: { speed: '9600' } })).toThrow(/unknown property 'speed' \(properties: index, iobase, irq/);
    expect(() => resolveDevice({ type: 'isa-serial', props: { index: '7' } })).toThrow(/7 is not one of 0, 1, 2, 3/);
    expect(() => resolveDevice({ type: 'isa-serial', props: { index: 'one' } })).toThrow(/'one' is not a whole number/);
  });
});

function run(args: string[], viaNpx = false) {
  const cmd = viaNpx ? 'npx' : process.execPath;
  const argv = viaNpx ? ['bulkhead', ...args] : ['bin/bulkhead.mjs', ...args];
  const r = spawnSync(cmd, argv, { encoding: 'latin1', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.split('\n').filter((l) => l && !l.startsWith('npm warn')).join('\n') };
}

describe('bulkhead command', () => {
  it('exits 2 with a clear message on a usage error', () => {
    const r = run(['--mem', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("bulkhead: --mem: 'lots' is not a whole number");
    const missing = run(['--bios', '/nonexistent/bios.bin']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("bulkhead: cannot read BIOS '/nonexistent/bios.bin': ENOENT");
  });

  const why = missingForBoot();
  it.skipIf(why !== undefined)(`npx bulkhead runs SeaBIOS until its last line${why ? ` (skipped: ${why})` : ''}`, () => {
    const bios = firmwarePath('bios-256k.bin')!;
    const r = run(['--bios', bios, '--debugcon', 'stdout', '--until', 'No bootable device.', '--timeout', '60'], true);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SeaBIOS \(version/);
    expect(r.stdout).toContain('No bootable device.');
  });

  it.skipIf(why !== undefined)('adds devices: SeaBIOS finds the serial port, keyboard and IDE controller', () => {
    const bios = firmwarePath('bios-256k.bin')!;
    const r = run(['--bios', bios, '--placement', 'monolithic', '--device', 'isa-serial', '--device', 'i8042', '--device', 'piix3-ide',
      '--debugcon', 'stdout', '--until', 'No bootable device.', '--timeout', '60']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Found 1 serial ports');
    expect(r.stdout).toContain('PS2 keyboard initialized');
    expect(r.stdout).toContain('ATA controller 1 at 1f0/3f4/0 (irq 14 dev 9)');
    expect(r.stdout).not.toContain('WARNING - Timeout at i8042_flush');
  });

  it.skipIf(why !== undefined || !existsSync('public/images/floppy.img'))('boots a floppy image with --fda --boot a --serial stdout', () => {
    const r = run(['--placement', 'monolithic', '--fda', 'public/images/floppy.img', '--boot', 'a', '--serial', 'stdout',
      '--until', 'Loading /memtest', '--timeout', '90']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SYSLINUX \d[^]*Loading \/memtest/);
  });

  it.skipIf(why !== undefined || !existsSync('public/images/vgabios-stdvga.bin'))('prints the text screen and writes a PNG screenshot at the end of the run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-shot-'));
    const png = join(dir, 'screen.png');
    const r = run(['--placement', 'monolithic', '--screenshot', png, '--screen-text', '--debugcon', join(dir, 'debugcon.txt'),
      '--until', 'No bootable device.', '--timeout', '60']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // SeaBIOS's messages, drawn by SeaVGABIOS in the 80x25 text mode.
    const lines = r.stdout.split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(25);
    expect(r.stdout).toMatch(/SeaBIOS \(version/);
    const shot = readFileSync(png);
    expect([...shot.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(shot.readUInt32BE(16)).toBe(720); // IHDR width: 80 columns of 9 dots
    // The isolated placement: the display worker renders and answers a control call.
    const png2 = join(dir, 'screen-isolated.png');
    const iso = run(['--placement', 'isolated', '--screenshot', png2, '--screen-text', '--until', 'No bootable device.', '--timeout', '60']);
    expect(iso.stderr).toBe('');
    expect(iso.code).toBe(0);
    expect(iso.stdout).toMatch(/SeaBIOS \(version/);
    expect(readFileSync(png2).readUInt32BE(16)).toBe(720);
  });

  it.skipIf(why !== undefined)('exits 1 with a one-line message on timeout, and traces ports', () => {
    const bios = firmwarePath('bios-256k.bin')!;
    const r = run(['--bios', bios, '--trace-port', '0x402', '--trace-hex', '--until', 'text that never appears', '--timeout', '1.5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bulkhead: timeout after 1.5 s waiting for "text that never appears" \(\d+ instructions/);
    expect(r.stderr.split('\n').length).toBe(1);
    // "SeaBIOS" as hex bytes, one traced write per line.
    expect(r.stdout.startsWith('53\n65\n61\n42\n49\n4f\n53\n')).toBe(true);
  });

  /** A 64 KiB "BIOS" whose reset vector (F000:FFF0) holds `code`. */
  function tinyBios(name: string, code: number[]): string {
    const img = new Uint8Array(0x10000);
    img.set(code, 0xfff0);
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-cli-'));
    writeFileSync(join(dir, name), img);
    return join(dir, name);
  }
  const noCore = !existsSync(CORE_WASM_PATH);

  it.skipIf(noCore)('reports HLT with interrupts disabled in one line', () => {
    const r = run(['--bios', tinyBios('hlt.bin', [0xfa, 0xf4]), '--timeout', '20']); // cli; hlt
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bulkhead: guest halted with interrupts disabled at CS:EIP=f000:0000fff2 EAX=/);
    expect(r.stderr.split('\n').length).toBe(1);
  });

  it.skipIf(noCore)('adds a second debug port at 0xE9 with --device isa-debugcon,iobase=0xe9', () => {
    // in al,0xe9 (the readback, 0xE9); out 0xe9,al; mov al,'9'; out 0xe9,al; mov al,0x0a; out 0xe9,al; cli; hlt
    const code = [0xe4, 0xe9, 0xe6, 0xe9, 0xb0, 0x39, 0xe6, 0xe9, 0xb0, 0x0a, 0xe6, 0xe9, 0xfa, 0xf4];
    const r = run(['--bios', tinyBios('e9.bin', code), '--device', 'isa-debugcon,iobase=0xe9', '--debugcon', 'stdout', '--until', '9', '--timeout', '20']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\xe99\n?$/); // the port's readback byte, then '9'
    expect(run(['--device', 'isa-pit']).stderr).toBe("bulkhead: --device: 'isa-pit' is part of the chipset and always present");
  });

  it.skipIf(noCore)('reports a triple fault in one line', () => {
    // lidt cs:[0xff00] (a zero-limit IDT), int3: #GP, #DF, shutdown.
    const r = run(['--bios', tinyBios('tf.bin', [0x2e, 0x0f, 0x01, 0x1e, 0x00, 0xff, 0xcc]), '--timeout', '20']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bulkhead: triple fault at CS:EIP=f000:/);
    expect(r.stderr.split('\n').length).toBe(1);
  });
});
