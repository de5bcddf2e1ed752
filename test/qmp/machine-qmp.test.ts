// QMP on a real machine (machine.qmp, src/machine/machine-qmp.ts): every command with good and
// bad arguments, answers in QMP's error form (never a throw), and events in order with QMP
// timestamps. SeaBIOS runs briefly; the machine is stopped at the end of each test.
import { afterEach, describe, expect, it } from 'vitest';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { deviceTypes, findDeviceType } from '../../src/devices/registry.js';
import type { QmpAnswer, QmpEvent } from '../../src/qmp/protocol.js';
import { missingForBoot, readFirmware } from '../machine/firmware.js';

const missing = missingForBoot();
const machines: Machine[] = [];
afterEach(async () => {
  for (const m of machines.splice(0)) await m.stop();
});

async function machine(): Promise<Machine> {
  const m = await createMachine({
    ramMiB: 32,
    bios: readFirmware('bios-256k.bin'),
    devices: [{ type: 'isa-serial', id: 'com1' }, { type: 'ne2k_isa', id: 'net0' }],
    placement: 'monolithic',
    policy: 'warn',
  }, nodeMachineHost());
  machines.push(m);
  return m;
}

const err = (desc: string | RegExp, cls = 'GenericError') => ({ error: { class: cls, desc: typeof desc === 'string' ? desc : expect.stringMatching(desc) } });

describe.skipIf(missing !== undefined)(`QMP on a machine${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('answers every query, with the id, and rejects unexpected arguments', async () => {
    const m = await machine();
    const q = (execute: string, args?: Record<string, unknown>, id?: unknown) => m.qmp({ execute, arguments: args, id });
    expect(await q('qmp_capabilities', {}, 'a')).toEqual({ return: {}, id: 'a' });
    expect(await q('qmp_capabilities', { bogus: 1 })).toEqual(err("Parameter 'bogus' is unexpected"));
    const cmds = (await q('query-commands')) as { return: { name: string }[] };
    expect(cmds.return.map((c) => c.name)).toEqual(expect.arrayContaining(['device_add', 'device_del', 'query-devices', 'query-security', 'x-inject-fault', 'quit']));
    expect(await q('query-status', undefined, 1)).toEqual({ return: { running: false, status: 'prelaunch' }, id: 1 });
    expect(await q('query-status', { verbose: true })).toEqual(err("Parameter 'verbose' is unexpected"));

    const types = (await q('query-device-types')) as { return: { name: string; secure?: boolean; hotpluggable: boolean }[] };
    expect(types.return).toHaveLength(deviceTypes.length);
    expect(types.return.find((t) => t.name === 'ne2k_pci')).toMatchObject({ secure: false, hotpluggable: true });
    expect(types.return.find((t) => t.name === 'e1000')).toMatchObject({ secure: true });
    expect(await q('query-device-types', { x: 1 })).toEqual(err("Parameter 'x' is unexpected"));

    const devs = (await q('query-devices')) as { return: Record<string, unknown>[] };
    expect(devs.return.map((d) => d.id)).toEqual([...deviceTypes.filter((t) => t.class === 'chipset').map((t) => `${t.name}.0`), 'com1', 'net0']);
    expect(devs.return.find((d) => d.id === 'com1')).toMatchObject({
      type: 'isa-serial', class: 'console', placement: 'monolithic', worker: 'cpu', state: 'running', capabilities: findDeviceType('isa-serial')!.capabilities,
      statistics: expect.objectContaining({ reads: 0, writes: 0, postedWrites: 0, failures: 0, guestErrors: 0 }),
    });
    expect(devs.return[0]).toMatchObject({ id: 'isa-i8259.0', class: 'chipset', placement: 'cpu-worker', worker: 'cpu' });
    expect(await q('query-devices', { id: 'com1' })).toEqual(err("Parameter 'id' is unexpected"));

    const sec = (await q('query-security')) as { return: { policy: string; tainted: boolean; reasons: { kind: string }[] } };
    expect(sec.return.policy).toBe('warn');
    expect(sec.return.tainted).toBe(true);
    expect(sec.return.reasons.map((r) => r.kind)).toEqual(['insecure-device', 'monolithic']);
    expect(await q('query-security', { all: true })).toEqual(err("Parameter 'all' is unexpected"));
    expect(await q('query-everything')).toEqual(err('The command query-everything has not been found', 'CommandNotFound'));
  });

  it('set-security-policy: spellings, bad values, the tainted strict refusal, POLICY_CHANGED', async () => {
    const m = await machine();
    const set = (policy: unknown) => m.qmp({ execute: 'set-security-policy', arguments: { policy } });
    expect(await m.qmp({ execute: 'set-security-policy' })).toEqual(err("Parameter 'policy' is missing"));
    expect(await set(1)).toEqual(err("Invalid parameter type for 'policy', expected: string"));
    expect(await set('lax')).toEqual(err(/^unknown security policy 'lax'/));
    expect(await m.qmp({ execute: 'set-security-policy', arguments: { policy: 'none', when: 'now' } })).toEqual(err("Parameter 'when' is unexpected"));
    expect(await set('strict')).toEqual(err(/^cannot switch to 'strict': the machine is already tainted:\n {2}- device 'net0'/));
    expect(await set('accept')).toEqual({ return: {} });
    expect(await set('warn')).toEqual({ return: {} });
    expect(m.qmpEvents.filter((e) => e.event === 'POLICY_CHANGED').map((e) => e.data)).toEqual([{ from: 'warn', to: 'none' }, { from: 'none', to: 'warn' }]);
  });

  it('stop, cont, system_reset and quit drive the machine and emit STOP, RESUME, RESET, SHUTDOWN in order', async () => {
    const m = await machine();
    const live: QmpEvent[] = [];
    m.events.on('qmp', (e) => live.push(e));
    const before = Date.now();
    expect(await m.qmp({ execute: 'cont' })).toEqual({ return: {} });
    expect(m.state).toBe('running');
    await m.waitForText('SeaBIOS', { timeoutMs: 30_000, sources: ['debugcon'] });
    expect(await m.qmp({ execute: 'cont', arguments: { now: 1 } })).toEqual(err("Parameter 'now' is unexpected"));
    expect(await m.qmp({ execute: 'stop' })).toEqual({ return: {} });
    expect(await m.qmp({ execute: 'query-status' })).toEqual({ return: { running: false, status: 'paused' } });
    expect(await m.qmp({ execute: 'stop', arguments: { x: 0 } })).toEqual(err("Parameter 'x' is unexpected"));
    expect(await m.qmp({ execute: 'system_reset' })).toEqual({ return: {} });
    expect(await m.qmp({ execute: 'system_reset', arguments: { hard: true } })).toEqual(err("Parameter 'hard' is unexpected"));
    expect(await m.qmp({ execute: 'cont' })).toEqual({ return: {} });
    expect(await m.qmp({ execute: 'query-status' })).toEqual({ return: { running: true, status: 'running' } });
    expect(await m.qmp({ execute: 'quit', arguments: { force: true } })).toEqual(err("Parameter 'force' is unexpected"));
    expect(await m.qmp({ execute: 'quit' })).toEqual({ return: {} });
    expect(m.state).toBe('stopped');
    expect(await m.qmp({ execute: 'query-status' })).toEqual({ return: { running: false, status: 'shutdown' } });
    expect(await m.qmp({ execute: 'cont' })).toEqual(err('the machine has shut down'));
    expect(live.map((e) => e.event)).toEqual(['RESUME', 'STOP', 'RESET', 'RESUME', 'SHUTDOWN']);
    expect(live.find((e) => e.event === 'RESET')?.data).toEqual({ guest: false, reason: 'qmp' });
    expect(live.at(-1)?.data).toEqual({ guest: false, reason: 'host-qmp-quit' });
    // QMP timestamps: wall-clock seconds and microseconds, non-decreasing.
    let last = 0;
    for (const e of live) {
      const t = e.timestamp.seconds * 1e6 + e.timestamp.microseconds;
      expect(e.timestamp.microseconds).toBeGreaterThanOrEqual(0);
      expect(e.timestamp.microseconds).toBeLessThan(1e6);
      expect(t).toBeGreaterThanOrEqual(last);
      expect(t / 1000).toBeGreaterThanOrEqual(before - 1);
      last = t;
    }
    // The history holds the start-time events first.
    expect(m.qmpEvents.map((e) => e.event).slice(0, 4)).toEqual(['TAINTED', 'SECURITY_WARNING', 'TAINTED', 'SECURITY_WARNING']);
  });

  it('device_add and device_del: argument checks, PCI hot-plug and unplug, ISA refused', async () => {
    const m = await machine();
    const add = (args: Record<string, unknown>) => m.qmp({ execute: 'device_add', arguments: args });
    expect(await add({})).toEqual(err("Parameter 'driver' is missing"));
    expect(await add({ driver: 7 })).toEqual(err("Invalid parameter type for 'driver', expected: string"));
    expect(await add({ driver: 'rtl8139' })).toEqual(err("'rtl8139' is not a valid device model name"));
    expect(await add({ driver: 'isa-pit' })).toEqual(err("'isa-pit' is part of the chipset and always present"));
    expect(await add({ driver: 'ne2k_pci', speed: 10 })).toEqual(err("device_add ne2k_pci: unknown property 'speed' (properties: mac, netdev)"));
    expect(await add({ driver: 'ne2k_isa', irq: 'nine' })).toEqual(err("device_add ne2k_isa,irq: 'nine' is not a whole number"));
    expect(await add({ driver: 'ne2k_isa', irq: 8 })).toEqual(err('device_add ne2k_isa,irq: 8 is not one of 3, 4, 5, 7, 9, 10, 11, 12, 15'));
    expect(await add({ driver: 'ne2k_pci', mac: { a: 1 } })).toEqual(err("Property 'mac' must be a string, number or boolean"));
    expect(await add({ driver: 'e1000', id: 'com1' })).toEqual(err("Duplicate device ID 'com1'"));
    expect(await add({ driver: 'e1000', id: '1bad' })).toEqual(err(/^Parameter 'id' expects an identifier/));
    expect(await add({ driver: 'e1000', id: 'nic1', mac: '52:54:00:12:34:56' })).toEqual({ return: { id: 'nic1' } });
    expect(await add({ driver: 'e1000' })).toEqual({ return: { id: 'e1000.0' } });
    expect(await add({ driver: 'e1000', id: 'nic1' })).toEqual(err("Duplicate device ID 'nic1'"));
    expect(await add({ driver: 'ne2k_isa', iobase: '0x320' })).toEqual(err("Device 'ne2k_isa' can not be hotplugged on this machine (isa bus)"));

    const del = (args: Record<string, unknown>) => m.qmp({ execute: 'device_del', arguments: args });
    expect(await del({})).toEqual(err("Parameter 'id' is missing"));
    expect(await del({ id: 'nope' })).toEqual(err("Device 'nope' not found", 'DeviceNotFound'));
    expect(await del({ id: 'com1', force: true })).toEqual(err("Parameter 'force' is unexpected"));
    expect(await del({ id: 'isa-pit.0' })).toEqual(err("Device 'isa-pit.0' is part of the chipset and cannot be removed"));
    expect(await del({ id: 'com1' })).toEqual(err("Device 'com1' (isa-serial) does not support hot-unplugging"));
    expect(await del({ id: 'nic1' })).toEqual({ return: {} });
    expect(await del({ id: 'nic1' })).toEqual(err("Device 'nic1' not found", 'DeviceNotFound'));
    expect(m.devices.map((d) => d.id)).toContain('com1');
    expect(m.devices.map((d) => d.id)).toContain('e1000.0');
    expect(m.security.reasons).toHaveLength(2); // e1000 is secure: no new taint
    expect(m.qmpEvents.filter((e) => e.event === 'DEVICE_DELETED').map((e) => e.data)).toEqual([{ device: 'nic1' }]);
  });

  it('x-inject-fault crashes or hangs a placed device and reports DEVICE_FAILED; bad arguments are errors', async () => {
    const m = await machine();
    const inject = (args: Record<string, unknown>) => m.qmp({ execute: 'x-inject-fault', arguments: args });
    expect(await inject({ id: 'com1' })).toEqual(err("Parameter 'fault' is missing"));
    expect(await inject({ id: 'com1', fault: 'melt' })).toEqual(err("Parameter 'fault' must be 'crash' or 'hang'"));
    expect(await inject({ id: 'ghost', fault: 'crash' })).toEqual(err("Device 'ghost' not found", 'DeviceNotFound'));
    expect(await inject({ id: 'isa-pit.0', fault: 'crash' })).toEqual(err(/^Device 'isa-pit.0' runs in the CPU worker as part of the chipset/));
    expect(await inject({ id: 'com1', fault: 'crash', extra: 1 })).toEqual(err("Parameter 'extra' is unexpected"));
    m.start();
    await m.waitForText('SeaBIOS', { timeoutMs: 30_000, sources: ['debugcon'] });
    // Default response 'stop': the machine halts, QMP reports it.
    expect(await inject({ id: 'com1', fault: 'crash' })).toEqual({ return: {} });
    const failed = m.qmpEvents.find((e) => e.event === 'DEVICE_FAILED');
    expect(failed?.data).toMatchObject({ devices: ['com1'], worker: 'monolithic', cause: 'crash', response: 'stop' });
    expect(m.state).toBe('halted');
    const names = m.qmpEvents.map((e) => e.event);
    expect(names.slice(names.indexOf('DEVICE_FAILED'))).toEqual(['DEVICE_FAILED', 'STOP']);
    const devs = (await m.qmp({ execute: 'query-devices' })) as { return: { id: string; state: string; statistics: Record<string, number> }[] };
    const com1 = devs.return.find((d) => d.id === 'com1')!;
    expect(com1.state).toBe('failed');
    expect(com1.statistics.failures).toBe(1);
    expect(await inject({ id: 'com1', fault: 'hang' })).toEqual(err("Device 'com1' is not running (stopped)", 'DeviceNotActive'));
    expect(await inject({ id: 'net0', fault: 'hang' })).toEqual({ return: {} });
  });

  it('never throws, whatever the input', async () => {
    const m = await machine();
    const inputs: unknown[] = [
      { execute: 'device_add', arguments: { driver: 'ne2k_pci', mac: null } },
      { execute: 'set-security-policy', arguments: { policy: { toString: 1 } } },
      { execute: '__proto__' },
      { execute: 'constructor' },
      { execute: 'x-inject-fault', arguments: { id: 5, fault: 'crash' } },
    ];
    for (const cmd of inputs) {
      const a: QmpAnswer = await m.qmp(cmd as never);
      expect('error' in a).toBe(true);
    }
  });
});
