// The command line's security side: --policy (both spellings), --qmp/--paused parsing,
// --device properties typed by the registry's PropertySpecs (id=, numbers, booleans, enums,
// unknown keys), the firmware check against the image manifest, and whole runs: a refused
// start exits 1 with the refusal on stderr; warn prints one warning per reason and runs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig, customFirmware, resolveDevice } from '../../src/cli/main.js';
import { parseArgs, UsageError } from '../../src/cli/options.js';
import { typeDeviceProps } from '../../src/machine/device-props.js';
import { findDeviceType } from '../../src/devices/registry.js';
import { firmwarePath, missingForBoot } from './firmware.js';

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/bulkhead.mjs', ...args], { encoding: 'latin1', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.split('\n').filter((l) => l && !l.startsWith('npm warn')).join('\n') };
}

describe('bulkhead security options', () => {
  it('parses --policy in both spellings, --qmp and --paused', () => {
    expect(parseArgs([]).policy).toBe('none');
    expect(parseArgs(['--policy', 'strict']).policy).toBe('strict');
    expect(parseArgs(['--policy=reject']).policy).toBe('strict');
    expect(parseArgs(['--policy', 'accept']).policy).toBe('none');
    expect(parseArgs(['--policy', 'warn', '--qmp', 'stdio', '--paused'])).toMatchObject({ policy: 'warn', qmp: 'stdio', paused: true });
    expect(usage(() => parseArgs(['--policy', 'paranoid']))).toBe("--policy: unknown security policy 'paranoid': use none, warn or strict (or accept, warn, reject)");
    expect(usage(() => parseArgs(['--qmp', 'tcp:4444']))).toBe("--qmp: 'tcp:4444' is not one of stdio");
    expect(usage(() => parseArgs(['--paused=1']))).toBe('--paused takes no argument');
  });

  it('types --device properties by the registry: numbers, booleans, enums, id; rejects unknown keys', () => {
    const dev = (s: string) => resolveDevice(parseArgs(['--device', s]).devices[0]);
    expect(dev('ne2k_isa,iobase=0x320,irq=10,mac=52:54:00:12:34:56')).toEqual({ type: 'ne2k_isa', props: { iobase: 0x320, irq: 10, mac: '52:54:00:12:34:56' } });
    expect(dev('ne2k_pci,id=net0')).toEqual({ type: 'ne2k_pci', id: 'net0', props: {} });
    expect(dev('floppy,readonly=on')).toEqual({ type: 'floppy', props: { readonly: true } });
    expect(dev('floppy,readonly=false')).toEqual({ type: 'floppy', props: { readonly: false } });
    expect(usage(() => dev('floppy,readonly=maybe'))).toBe("--device floppy,readonly: 'maybe' is not on/off");
    expect(usage(() => dev('ne2k_isa,irq=8'))).toBe('--device ne2k_isa,irq: 8 is not one of 3, 4, 5, 7, 9, 10, 11, 12, 15');
    expect(usage(() => dev('ne2k_isa,irq=0x'))).toBe("--device ne2k_isa,irq: '0x' is not a whole number");
    expect(usage(() => dev('ne2k_pci,colour=blue'))).toBe("--device ne2k_pci: unknown property 'colour' (properties: mac, netdev)");
    expect(usage(() => dev('i8042,x=1'))).toBe("--device i8042: unknown property 'x' (properties: none)");
    expect(usage(() => dev('ne2k_pci,id=1net'))).toBe("--device ne2k_pci: id '1net' is not an identifier");
    expect(usage(() => parseArgs(['--device', 'ne2k_isa,irq=9,irq=10']))).toBe("--device ne2k_isa: property 'irq' is given twice");
    // The same typing serves QMP's JSON values.
    const t = findDeviceType('ne2k_isa')!;
    expect(typeDeviceProps(t, { irq: 11, iobase: '0x340' }, 'x')).toEqual({ irq: 11, iobase: 0x340 });
    expect(() => typeDeviceProps(t, { irq: 9.5 }, 'x')).toThrow('x,irq: 9.5 is not a whole number');
    expect(() => typeDeviceProps(t, { irq: true }, 'x')).toThrow('x,irq: expected a number, got true');
    expect(() => typeDeviceProps(t, { mac: 5 }, 'x')).toThrow('x,mac: expected a string, got 5');
    expect(() => typeDeviceProps(t, { __proto__: 1 } as never, 'x')).not.toThrow(); // no own key: nothing to type
  });

  it('firmware is custom when its sha256 is not in the manifest; without a manifest, when given explicitly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-fw-'));
    const known = new Uint8Array([1, 2, 3]);
    const other = new Uint8Array([4, 5, 6]);
    const manifest = join(dir, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ version: 1, files: [{ name: 'bios.bin', sha256: createHash('sha256').update(known).digest('hex') }] }));
    expect(customFirmware([{ path: '/x/bios.bin', data: known, isDefaultPath: false }], manifest)).toEqual([]);
    expect(customFirmware([{ path: '/x/mine.bin', data: other, isDefaultPath: true }], manifest)).toEqual(['mine.bin']);
    const none = join(dir, 'absent.json');
    expect(customFirmware([{ path: 'public/images/bios-256k.bin', data: other, isDefaultPath: true }], none)).toEqual([]);
    expect(customFirmware([{ path: '/x/mine.bin', data: known, isDefaultPath: false }], none)).toEqual(['mine.bin']);
  });

  it.skipIf(!existsSync('public/images/manifest.json') || !existsSync('public/images/bios-256k.bin'))('builds the config with policy, debug port and firmware taint inputs', () => {
    const c = buildConfig(parseArgs(['--policy', 'warn', '--debugcon', 'stdout']));
    expect(c).toMatchObject({ policy: 'warn', customFirmware: [], debugPorts: ['isa-debugcon.0'] });
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-fw-'));
    writeFileSync(join(dir, 'patched.bin'), new Uint8Array(0x10000));
    expect(buildConfig(parseArgs(['--bios', join(dir, 'patched.bin')])).customFirmware).toEqual(['patched.bin']);
    expect(buildConfig(parseArgs([])).debugPorts).toEqual([]);
  });

  const why = missingForBoot();
  it.skipIf(why !== undefined)('a refused start exits 1 with every reason on stderr; warn runs with one warning per reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkhead-fw-'));
    const patched = join(dir, 'patched-bios.bin');
    writeFileSync(patched, new Uint8Array(0x10000)); // never runs: refused first
    const r = run(['--policy', 'strict', '--bios', patched, '--placement', 'monolithic', '--device', 'ne2k_isa', '--device', 'isa-serial', '--debugcon', 'stdout', '--timeout', '20']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe([
      "bulkhead: security policy 'strict' refuses to start this machine (4 reasons):",
      "  - device 'ne2k_isa.0' (ne2k_isa, network class) is not secure; use 'e1000' instead",
      '  - placement is monolithic: device models run inside the CPU worker, not isolated',
      "  - firmware 'patched-bios.bin' is user-supplied, not the manifest's",
      "  - debug port 'isa-debugcon.0' is enabled",
    ].join('\n'));

    const bios = firmwarePath('bios-256k.bin')!;
    const w = run(['--policy', 'warn', '--bios', bios, '--placement', 'monolithic', '--device', 'ne2k_pci', '--debugcon', 'stdout', '--until', 'SeaBIOS', '--timeout', '30']);
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/^SeaBIOS/);
    expect(w.stderr.split('\n').filter((l) => l.startsWith('bulkhead: warning: '))).toHaveLength(3);
    expect(w.stderr).toContain("bulkhead: warning: device 'ne2k_pci.0' (ne2k_pci, network class) is not secure");
    expect(w.stderr).toContain("bulkhead: warning: debug port 'isa-debugcon.0' is enabled");
  });
});
