// The security policy on a real machine (SeaBIOS on the real core): each policy at start with a
// hostile configuration (two not-secure NICs, monolithic placement, custom firmware, a debug
// port), at hot-add and for runtime taint; sticky taint; the strict switch refusal; a detached
// device's taint. Machines stop as soon as the point is made.
import { afterEach, describe, expect, it } from 'vitest';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import { SecurityRefusedError } from '../../src/machine/security.js';
import type { MachineConfig, MachineHost } from '../../src/machine/config.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import type { DeviceWorkerLauncher } from '../../src/channel/protocol.js';
import type { SecurityPolicy } from '../../src/security/policy.js';
import { missingForBoot, readFirmware } from './firmware.js';
import { CORE_WASM_PATH } from '../../src/cli/node-host.js';
import { existsSync } from 'node:fs';

const TEST_TYPES = new URL('./devices/index.ts', import.meta.url).href;

/** A 64 KiB "BIOS" whose reset vector writes 1 to port 0x2E0 (test-taint-hint), then spins. */
function taintingBios(): Uint8Array {
  const img = new Uint8Array(0x10000);
  img.set([0xb0, 0x01, 0xba, 0xe0, 0x02, 0xee, 0xeb, 0xfe], 0xfff0); // mov al,1; mov dx,0x2e0; out dx,al; jmp $
  return img;
}

const missing = missingForBoot();
const machines: Machine[] = [];
afterEach(async () => {
  for (const m of machines.splice(0)) await m.stop();
});

function hostile(policy: SecurityPolicy): MachineConfig {
  return {
    ramMiB: 32,
    bios: readFirmware('bios-256k.bin'),
    devices: [{ type: 'ne2k_isa' }, { type: 'ne2k_pci', id: 'net1' }, { type: 'isa-serial' }],
    placement: 'monolithic',
    customFirmware: ['my-bios.bin'],
    debugPorts: ['isa-debugcon.0'],
    policy,
  };
}

/** A Node host that counts what it was asked to create. */
function countingHost(withLauncher = false) {
  const counts = { cores: 0, workers: 0 };
  const base = nodeMachineHost();
  const inner = withLauncher ? nodeWorkerLauncher() : undefined;
  const launcher: DeviceWorkerLauncher | undefined = inner && {
    launch: (cls) => { counts.workers++; return inner.launch(cls); },
    exportBackend: inner.exportBackend?.bind(inner),
  };
  const host: MachineHost = { ...base, launcher, createCore: (l, h) => { counts.cores++; return base.createCore(l, h); } };
  return { host, counts };
}

async function make(config: MachineConfig, host: MachineHost = nodeMachineHost()): Promise<Machine> {
  const m = await createMachine(config, host);
  machines.push(m);
  return m;
}

const START_KINDS = ['insecure-device', 'insecure-device', 'monolithic', 'custom-firmware', 'debug-port'];

describe.skipIf(missing !== undefined)(`security policy on a machine${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('strict refuses the hostile machine before building anything, naming every reason', async () => {
    const { host, counts } = countingHost(true);
    let err: unknown;
    try {
      await make(hostile('strict'), host);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecurityRefusedError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^security policy 'strict' refuses to start this machine \(5 reasons\):\n/);
    expect(msg).toContain("device 'ne2k_isa.0' (ne2k_isa, network class) is not secure; use 'e1000' instead");
    expect(msg).toContain("device 'net1' (ne2k_pci, network class) is not secure; use 'e1000' instead");
    expect(msg).toContain('placement is monolithic');
    expect(msg).toContain("firmware 'my-bios.bin' is user-supplied");
    expect(msg).toContain("debug port 'isa-debugcon.0' is enabled");
    expect(msg).not.toContain('isa-serial');
    expect((err as SecurityRefusedError).decision.reasons.map((r) => r.kind)).toEqual(START_KINDS);
    expect(counts).toEqual({ cores: 0, workers: 0 }); // nothing was created, nothing is left running
  });

  it('strict refuses each single reason too (an isolated not-secure device, a debug port)', async () => {
    const { host, counts } = countingHost(true);
    await expect(make({ ramMiB: 32, bios: readFirmware('bios-256k.bin'), devices: [{ type: 'ne2k_pci' }], policy: 'strict' }, host))
      .rejects.toThrow(/\(1 reason\):\n {2}- device 'ne2k_pci.0' \(ne2k_pci, network class\) is not secure/);
    await expect(make({ ramMiB: 32, bios: readFirmware('bios-256k.bin'), debugPorts: ['isa-debugcon.0'], policy: 'reject' as SecurityPolicy }, host))
      .rejects.toThrow(SecurityRefusedError);
    // Monolithic only because the host has no launcher: still monolithic, still refused.
    await expect(make({ ramMiB: 32, bios: readFirmware('bios-256k.bin'), devices: [{ type: 'isa-serial' }], policy: 'strict' }))
      .rejects.toThrow(/placement is monolithic/);
    expect(counts.cores).toBe(0);
  });

  it('warn starts the hostile machine with one warning per reason; none starts silently; both record taint', async () => {
    for (const policy of ['warn', 'none'] as const) {
      const m = await make(hostile(policy));
      const events = m.qmpEvents.map((e) => e.event);
      if (policy === 'warn') expect(events).toEqual(START_KINDS.flatMap(() => ['TAINTED', 'SECURITY_WARNING']));
      else expect(events).toEqual(START_KINDS.map(() => 'TAINTED'));
      expect(m.security.tainted).toBe(true);
      expect(m.security.reasons.map((r) => r.kind)).toEqual(START_KINDS);
      expect(m.security.reasons[1]).toMatchObject({ source: 'machine', device: 'net1' });
      await m.runUntilText('SeaBIOS', 30_000, ['debugcon']);
      expect(m.state).toBe('running');
      await m.stop();
    }
  });

  it('strict starts a clean machine (isolated secure devices) untainted', async () => {
    const m = await make({ ramMiB: 32, bios: readFirmware('bios-256k.bin'), devices: [{ type: 'isa-serial' }, { type: 'i8042' }], policy: 'strict' },
      nodeMachineHost({ launcher: nodeWorkerLauncher() }));
    expect(m.security.tainted).toBe(false);
    expect(m.qmpEvents).toEqual([]);
    await m.runUntilText('SeaBIOS', 30_000, ['debugcon']);
    expect(m.security.tainted).toBe(false);
    expect((await m.qmp({ execute: 'query-security' }))).toEqual({ return: { policy: 'strict', tainted: false, reasons: [] } });
  });

  it('runtime taint: none and warn record it and run on; strict stops the guest with a report', async () => {
    for (const policy of ['none', 'warn', 'strict'] as const) {
      const m = await make({ ramMiB: 32, bios: readFirmware('bios-256k.bin'), policy });
      const stops: string[] = [];
      m.events.on('security-stop', (e) => stops.push(e.message));
      await m.runUntilText('SeaBIOS', 30_000, ['debugcon']);
      // Every DeviceHost.taint lands here (chipset hosts directly, placed devices via the placement).
      m.addTaint('isa-pit.0', 'counter latched in an undocumented mode');
      m.addTaint('isa-pit.0', 'counter latched in an undocumented mode'); // deduplicated
      const r = m.security.reasons;
      expect(r).toHaveLength(1);
      expect(r[0]).toMatchObject({ kind: 'runtime', source: 'isa-pit.0', device: 'isa-pit.0' });
      expect(r[0].message).toContain('counter latched in an undocumented mode');
      expect(Math.abs(r[0].time - Date.now())).toBeLessThan(60_000);
      const names = m.qmpEvents.map((e) => e.event);
      if (policy === 'strict') {
        expect(m.state).toBe('halted');
        expect(stops).toEqual(["security policy 'strict' stopped the guest: device 'isa-pit.0' reported a risky code path: counter latched in an undocumented mode"]);
        expect(names).toEqual(['RESUME', 'TAINTED', 'STOP']);
        expect(await m.qmp({ execute: 'query-status' })).toEqual({ return: { running: false, status: 'internal-error' } });
        expect(await m.qmp({ execute: 'cont' })).toMatchObject({ error: { class: 'GenericError', desc: expect.stringContaining('Resetting the Virtual Machine is required') } });
      } else {
        expect(m.state).toBe('running');
        expect(stops).toEqual([]);
        expect(names).toEqual(policy === 'warn' ? ['RESUME', 'TAINTED', 'SECURITY_WARNING'] : ['RESUME', 'TAINTED']);
      }
      await m.stop();
    }
  });

  it('taint is sticky across a reset; switching a tainted machine to strict is refused, an untainted one may switch', async () => {
    const clean = await make({ ramMiB: 32, bios: readFirmware('bios-256k.bin') });
    expect(await clean.qmp({ execute: 'set-security-policy', arguments: { policy: 'strict' } })).toEqual({ return: {} });
    expect(clean.security.policy).toBe('strict');
    expect(clean.qmpEvents.at(-1)).toMatchObject({ event: 'POLICY_CHANGED', data: { from: 'none', to: 'strict' } });

    const m = await make({ ...hostile('warn'), devices: [{ type: 'ne2k_isa' }] });
    m.start();
    m.reset('user');
    await m.runUntilText('SeaBIOS', 30_000, ['debugcon']);
    expect(m.security.reasons.map((r) => r.kind)).toEqual(['insecure-device', 'monolithic', 'custom-firmware', 'debug-port']);
    const r = await m.qmp({ execute: 'set-security-policy', arguments: { policy: 'strict' } });
    expect(r).toMatchObject({ error: { class: 'GenericError' } });
    const desc = (r as { error: { desc: string } }).error.desc;
    expect(desc).toMatch(/^cannot switch to 'strict': the machine is already tainted:\n/);
    expect(desc).toContain("device 'ne2k_isa.0' (ne2k_isa, network class) is not secure");
    expect(m.security.policy).toBe('warn');
    expect(m.state).toBe('running');
    expect(await m.qmp({ execute: 'set-security-policy', arguments: { policy: 'accept' } })).toEqual({ return: {} });
    expect(m.security.policy).toBe('none');
  });

  it('hot-add: strict refuses a not-secure device and the machine keeps running; warn adds it, tainted', async () => {
    const m = await make({ ramMiB: 32, bios: readFirmware('bios-256k.bin'), policy: 'strict' });
    await m.runUntilText('SeaBIOS', 30_000, ['debugcon']);
    const refused = await m.qmp({ execute: 'device_add', arguments: { driver: 'ne2k_pci', id: 'net9' } });
    expect(refused).toEqual({ error: { class: 'GenericError', desc: "security policy 'strict' refuses to add device 'net9' (ne2k_pci, network class) is not secure; use 'e1000' instead" } });
    // The policy comes first: a not-secure ISA type is refused by the policy, not by the bus.
    expect(await m.qmp({ execute: 'device_add', arguments: { driver: 'ne2k_isa' } })).toMatchObject({ error: { desc: expect.stringContaining("security policy 'strict' refuses to add") } });
    // A secure ISA type passes the policy and meets the bus: ISA cannot be hot-plugged.
    expect(await m.qmp({ execute: 'device_add', arguments: { driver: 'isa-serial' } })).toEqual({ error: { class: 'GenericError', desc: "Device 'isa-serial' can not be hotplugged on this machine (isa bus)" } });
    expect(m.device('net9')).toBeUndefined();
    expect(m.state).toBe('running');
    expect(m.security.tainted).toBe(false);
    // A secure PCI NIC is allowed under strict and really plugged in.
    expect(await m.qmp({ execute: 'device_add', arguments: { driver: 'e1000', id: 'nic0' } })).toEqual({ return: { id: 'nic0' } });
    expect(m.device('nic0')?.type.name).toBe('e1000');
    expect(m.security.tainted).toBe(false);
    expect(m.state).toBe('running');

    // Under warn the not-secure NIC is added, with its taint and a warning.
    expect(await m.qmp({ execute: 'set-security-policy', arguments: { policy: 'warn' } })).toEqual({ return: {} });
    const mark = m.qmpEvents.length;
    expect(await m.qmp({ execute: 'device_add', arguments: { driver: 'ne2k_pci', id: 'net9' } })).toEqual({ return: { id: 'net9' } });
    expect(m.qmpEvents.slice(mark).map((e) => e.event)).toEqual(['TAINTED', 'SECURITY_WARNING']);
    expect(m.security.reasons).toEqual([expect.objectContaining({ kind: 'insecure-device', device: 'net9', source: 'machine' })]);
    // Under none: added silently (TAINTED only, no warning).
    expect(await m.qmp({ execute: 'set-security-policy', arguments: { policy: 'none' } })).toEqual({ return: {} });
    const mark2 = m.qmpEvents.length;
    expect(await m.qmp({ execute: 'device_add', arguments: { driver: 'ne2k_pci', id: 'net10' } })).toEqual({ return: { id: 'net10' } });
    expect(m.qmpEvents.slice(mark2).map((e) => e.event)).toEqual(['TAINTED']);
    expect(m.security.reasons.map((r) => r.device)).toEqual(['net9', 'net10']);
    // Now strict is refused: the machine is tainted for good, even after the device leaves.
    expect(await m.qmp({ execute: 'device_del', arguments: { id: 'net9' } })).toEqual({ return: {} });
    expect(m.qmpEvents.at(-1)).toMatchObject({ event: 'DEVICE_DELETED', data: { device: 'net9' } });
    expect(await m.qmp({ execute: 'set-security-policy', arguments: { policy: 'strict' } })).toMatchObject({ error: { desc: expect.stringContaining("device 'net9' (ne2k_pci, network class) is not secure") } });
  });

  for (const placement of ['monolithic', 'isolated'] as const) {
    it(`a hot-plugged PCI NIC is real: SeaBIOS finds it after a reset (${placement})`, async () => {
      const m = await make({ ramMiB: 32, bios: readFirmware('bios-256k.bin'), devices: [{ type: 'isa-serial' }], placement },
        nodeMachineHost({ launcher: placement === 'isolated' ? nodeWorkerLauncher() : undefined }));
      await m.runUntilText('SeaBIOS', 30_000, ['debugcon']);
      expect(await m.qmp({ execute: 'stop' })).toEqual({ return: {} });
      expect(await m.qmp({ execute: 'device_add', arguments: { driver: 'ne2k_pci', id: 'net1', mac: '52:54:00:00:00:01' } })).toEqual({ return: { id: 'net1' } });
      const before = m.consoleText('debugcon').length;
      expect(await m.qmp({ execute: 'system_reset' })).toEqual({ return: {} });
      expect(await m.qmp({ execute: 'cont' })).toEqual({ return: {} });
      await new Promise<void>((resolve, reject) => {
        const check = () => m.consoleText('debugcon').slice(before).includes('No bootable device.');
        const off = m.events.on('console', () => { if (check()) { off(); resolve(); } });
        setTimeout(() => reject(new Error('no second POST')), 30_000);
      });
      const log = m.consoleText('debugcon').slice(before);
      expect(log).toContain('PCI: init bdf=00:03.0 id=10ec:8029');
      expect(log).toMatch(/PCI: map device bdf=00:03.0 {2}bar 0, addr 0000c[0-9a-f]{3}, size 00000020 \[io\]/);
      const dev = ((await m.qmp({ execute: 'query-devices' })) as { return: { id: string; placement: string; worker: string; statistics: Record<string, number> }[] }).return.find((d) => d.id === 'net1')!;
      expect(dev).toMatchObject({ placement, worker: placement === 'isolated' ? 'network' : 'cpu' });
      // The configured serial port cannot be unplugged; the hot-plugged NIC can.
      expect(await m.qmp({ execute: 'device_del', arguments: { id: 'isa-serial.0' } })).toMatchObject({ error: { desc: "Device 'isa-serial.0' (isa-serial) does not support hot-unplugging" } });
      expect(await m.qmp({ execute: 'device_del', arguments: { id: 'net1' } })).toEqual({ return: {} });
      expect(m.device('net1')).toBeUndefined();
      expect(m.platform.devfnOf('net1')).toBeUndefined();
    });
  }

  it('a device failure answered with detach taints the machine; under strict it stops the guest', async () => {
    // none, monolithic: the guest runs on without the serial port.
    const m = await make({ ramMiB: 32, bios: readFirmware('bios-256k.bin'), devices: [{ type: 'isa-serial', id: 'com1' }], placement: 'monolithic', onDeviceFailure: 'detach' });
    await m.runUntilText('SeaBIOS', 30_000, ['debugcon']);
    expect(await m.qmp({ execute: 'x-inject-fault', arguments: { id: 'com1', fault: 'crash' } })).toEqual({ return: {} });
    expect(m.qmpEvents.map((e) => e.event)).toEqual(['TAINTED', 'RESUME', 'DEVICE_FAILED', 'TAINTED', 'DEVICE_DETACHED']);
    expect(m.security.reasons.at(-1)).toMatchObject({ kind: 'device-detached', device: 'com1' });
    expect(m.state).toBe('running');
    await m.stop();

    // strict, isolated (untainted at start): the detach taint stops the guest.
    const s = await make({ ramMiB: 32, bios: readFirmware('bios-256k.bin'), devices: [{ type: 'isa-serial', id: 'com1' }], onDeviceFailure: 'detach', policy: 'strict' },
      nodeMachineHost({ launcher: nodeWorkerLauncher() }));
    await s.runUntilText('SeaBIOS', 30_000, ['debugcon']);
    const halted = new Promise<void>((resolve) => s.events.on('security-stop', () => resolve()));
    expect(await s.qmp({ execute: 'x-inject-fault', arguments: { id: 'com1', fault: 'crash' } })).toEqual({ return: {} });
    await halted;
    expect(s.state).toBe('halted');
    expect(s.security.reasons.map((r) => r.kind)).toEqual(['device-detached']);
    const names = s.qmpEvents.map((e) => e.event);
    expect(names.slice(names.indexOf('DEVICE_FAILED'))).toEqual(['DEVICE_FAILED', 'TAINTED', 'STOP', 'DEVICE_DETACHED']);
    const devs = (await s.qmp({ execute: 'query-devices' })) as { return: { id: string; state: string; placement: string; worker: string }[] };
    expect(devs.return.find((d) => d.id === 'com1')).toMatchObject({ state: 'detached', placement: 'isolated', worker: 'console' });
  });
});

describe.skipIf(!existsSync(CORE_WASM_PATH))('runtime taint from device code (test-only device types)', () => {
  // Strict refuses the monolithic placement at start, so its runtime case runs isolated only.
  const cases = [['none', 'monolithic'], ['warn', 'monolithic'], ['none', 'isolated'], ['warn', 'isolated'], ['strict', 'isolated']] as const;
  for (const [policy, placement] of cases) {
    {
      it(`${policy}, ${placement}: a device's host.taint() ${policy === 'strict' ? 'stops the guest with a report' : 'is recorded and the guest runs on'}`, async () => {
        const m = await make({ ramMiB: 16, bios: taintingBios(), devices: [{ type: 'test-taint-hint', id: 'hint' }], placement, policy, typeModules: [TEST_TYPES] },
          nodeMachineHost({ launcher: placement === 'isolated' ? nodeWorkerLauncher() : undefined }));
        const startReasons = m.security.reasons.length;
        const tainted = new Promise<void>((resolve) => m.events.on('security', (e) => { if (e.event === 'TAINTED' && e.reason.kind === 'runtime') resolve(); }));
        const stopped = new Promise<string>((resolve) => m.events.on('security-stop', (e) => resolve(e.message)));
        m.start();
        await tainted;
        const r = m.security.reasons.slice(startReasons);
        expect(r).toEqual([expect.objectContaining({ kind: 'runtime', source: 'hint', device: 'hint', message: "device 'hint' reported a risky code path: guest wrote 0x1 to the risky test port" })]);
        if (policy === 'strict') {
          expect(await stopped).toBe("security policy 'strict' stopped the guest: device 'hint' reported a risky code path: guest wrote 0x1 to the risky test port");
          expect(m.state).toBe('halted');
          expect(await m.qmp({ execute: 'query-status' })).toEqual({ return: { running: false, status: 'internal-error' } });
        } else {
          await new Promise((res) => setTimeout(res, 50));
          expect(m.state).toBe('running');
          const names = m.qmpEvents.map((e) => e.event).slice(-2);
          expect(names).toEqual(policy === 'warn' ? ['TAINTED', 'SECURITY_WARNING'] : ['RESUME', 'TAINTED']);
        }
      });
    }
  }

  it('a type with no security information is treated as not secure', async () => {
    await expect(make({ ramMiB: 16, bios: taintingBios(), devices: [{ type: 'test-unknown' }], policy: 'strict', typeModules: [TEST_TYPES] },
      nodeMachineHost({ launcher: nodeWorkerLauncher() })))
      .rejects.toThrow("device 'test-unknown.0' (test-unknown, sound class) is of unknown security status (treated as not secure)");
    const m = await make({ ramMiB: 16, bios: taintingBios(), devices: [{ type: 'test-unknown' }], policy: 'none', typeModules: [TEST_TYPES] },
      nodeMachineHost({ launcher: nodeWorkerLauncher() }));
    expect(m.security.reasons.map((r) => r.kind)).toEqual(['insecure-device']);
  });
});
