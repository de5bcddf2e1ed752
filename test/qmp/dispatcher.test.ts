import { describe, expect, it } from 'vitest';
import { executeQmp, type QmpDeviceInfo, type QmpMachine } from '../../src/qmp/dispatcher.js';
import { parseQmpLine, qmpTimestamp } from '../../src/qmp/protocol.js';
import { SecurityState } from '../../src/security/taint-log.js';

function fakeMachine() {
  const calls: string[] = [];
  const sec = new SecurityState('none', () => 5000);
  const devs: QmpDeviceInfo[] = [
    { id: 'ide0', type: 'piix3-ide', class: 'storage', placement: 'isolated', worker: 'storage', state: 'running', capabilities: ['block'], statistics: { reads: 3 } },
  ];
  const m: QmpMachine = {
    status: () => ({ running: true, status: 'running' }),
    devices: () => devs,
    security: () => ({ policy: sec.policy, tainted: sec.tainted, reasons: sec.reasons }),
    setSecurityPolicy: (p) => sec.setPolicy(p),
    addDevice: async (type, id) => { calls.push(`add ${type}`); return id ?? 'dev1'; },
    removeDevice: async (id) => { calls.push(`del ${id}`); },
    stop: async () => { calls.push('stop'); },
    cont: async () => { calls.push('cont'); },
    reset: async () => { calls.push('reset'); },
    quit: async () => { calls.push('quit'); },
    injectFault: async (id, kind) => { calls.push(`${kind} ${id}`); },
  };
  return { m, calls, sec };
}

describe('QMP dispatcher', () => {
  it('answers unknown commands with CommandNotFound and keeps the id', async () => {
    const { m } = fakeMachine();
    expect(await executeQmp(m, { execute: 'frobnicate', id: 7 })).toEqual({ error: { class: 'CommandNotFound', desc: 'The command frobnicate has not been found' }, id: 7 });
  });
  it('query-devices and query-security return the machine state', async () => {
    const { m, sec } = fakeMachine();
    const r = await executeQmp(m, { execute: 'query-devices' });
    expect(r).toEqual({ return: m.devices() });
    sec.taint({ kind: 'monolithic', source: 'machine', message: 'monolithic' });
    expect(await executeQmp(m, { execute: 'query-security' })).toEqual({
      return: { policy: 'none', tainted: true, reasons: [{ kind: 'monolithic', source: 'machine', message: 'monolithic', time: 5000 }] },
    });
  });
  it('query-device-types lists registry types with secure only when known', async () => {
    const { m } = fakeMachine();
    const r = (await executeQmp(m, { execute: 'query-device-types' })) as { return: Record<string, unknown>[] };
    expect(Array.isArray(r.return)).toBe(true);
    for (const t of r.return) {
      expect(typeof t.name).toBe('string');
      if ('secure' in t) expect(typeof t.secure).toBe('boolean');
    }
  });
  it('set-security-policy validates, accepts QMP spellings and refuses strict when tainted', async () => {
    const { m, sec } = fakeMachine();
    expect(await executeQmp(m, { execute: 'set-security-policy', arguments: {} })).toEqual({ error: { class: 'GenericError', desc: "Parameter 'policy' is missing" } });
    expect(await executeQmp(m, { execute: 'set-security-policy', arguments: { policy: 3 } })).toMatchObject({ error: { class: 'GenericError' } });
    expect(await executeQmp(m, { execute: 'set-security-policy', arguments: { policy: 'bogus' } })).toMatchObject({ error: { desc: expect.stringContaining("unknown security policy 'bogus'") } });
    expect(await executeQmp(m, { execute: 'set-security-policy', arguments: { policy: 'warn' } })).toEqual({ return: {} });
    sec.taint({ kind: 'debug-port', source: 'machine', message: 'debug port on' });
    const r = await executeQmp(m, { execute: 'set-security-policy', arguments: { policy: 'reject' } });
    expect(r).toMatchObject({ error: { class: 'GenericError', desc: expect.stringContaining('already tainted') } });
    expect(sec.policy).toBe('warn');
  });
  it('control commands reach the machine; bad arguments do not', async () => {
    const { m, calls } = fakeMachine();
    for (const c of ['stop', 'cont', 'system_reset', 'quit']) expect(await executeQmp(m, { execute: c })).toEqual({ return: {} });
    expect(await executeQmp(m, { execute: 'stop', arguments: { now: true } })).toEqual({ error: { class: 'GenericError', desc: "Parameter 'now' is unexpected" } });
    expect(await executeQmp(m, { execute: 'x-inject-fault', arguments: { id: 'ide0', fault: 'crash' } })).toEqual({ return: {} });
    expect(await executeQmp(m, { execute: 'x-inject-fault', arguments: { id: 'nope', fault: 'crash' } })).toMatchObject({ error: { class: 'DeviceNotFound' } });
    expect(await executeQmp(m, { execute: 'x-inject-fault', arguments: { id: 'ide0', fault: 'melt' } })).toMatchObject({ error: { class: 'GenericError' } });
    expect(await executeQmp(m, { execute: 'device_del', arguments: { id: 'ghost' } })).toMatchObject({ error: { class: 'DeviceNotFound' } });
    expect(await executeQmp(m, { execute: 'device_add', arguments: { driver: 'no-such-device' } })).toMatchObject({ error: { desc: "'no-such-device' is not a valid device model name" } });
    expect(calls).toEqual(['stop', 'cont', 'reset', 'quit', 'crash ide0']);
  });
  it('an exception inside the machine becomes a GenericError', async () => {
    const { m } = fakeMachine();
    m.stop = async () => { throw new Error('worker gone'); };
    expect(await executeQmp(m, { execute: 'stop' })).toEqual({ error: { class: 'GenericError', desc: 'worker gone' } });
  });
});

describe('QMP protocol helpers', () => {
  it('parses lines without throwing', () => {
    expect(parseQmpLine('{"execute":"quit","id":"a"}')).toEqual({ execute: 'quit', arguments: undefined, id: 'a' });
    expect(parseQmpLine('not json')).toMatchObject({ error: { class: 'GenericError' } });
    expect(parseQmpLine('[1]')).toMatchObject({ error: { desc: 'QMP input must be a JSON object' } });
    expect(parseQmpLine('{"id":1}')).toMatchObject({ error: { desc: "QMP input lacks member 'execute'" }, id: 1 });
    expect(parseQmpLine('{"execute":"x","arguments":[]}')).toMatchObject({ error: { class: 'GenericError' } });
  });
  it('formats timestamps as QMP does', () => {
    expect(qmpTimestamp(1700000000123.456)).toEqual({ seconds: 1700000000, microseconds: 123456 });
  });
});
