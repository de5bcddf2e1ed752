/**
 * One QMP implementation for the machine, reachable three ways: the machine API
 * (machine.qmp(cmd)), the command line (`bulkhead --qmp stdio`, one JSON per line) and the page
 * (window.bulkhead.qmp). Commands validate their arguments and answer in QMP's error form;
 * nothing a caller sends makes an exception escape.
 */
import type { DeviceProps } from '../devices/api.js';
import { deviceTypes as registryTypes } from '../devices/registry.js';
import { parseSecurityPolicy, type SecurityPolicy, type TaintReason } from '../security/policy.js';
import { QmpError, type QmpAnswer, type QmpCommand, type QmpGreeting } from './protocol.js';

/** What a running machine exposes to QMP. Implemented by the machine. */
export interface QmpMachine {
  status(): { running: boolean; status: 'running' | 'paused' | 'shutdown' | 'internal-error' | 'prelaunch' };
  devices(): QmpDeviceInfo[];
  security(): { policy: SecurityPolicy; tainted: boolean; reasons: readonly TaintReason[] };
  setSecurityPolicy(policy: SecurityPolicy): { ok: true } | { ok: false; message: string };
  /** Hot-add; rejects with a message (policy refusal, bad property, not hot-pluggable). */
  addDevice(type: string, id: string | undefined, props: DeviceProps): Promise<string>;
  removeDevice(id: string): Promise<void>;
  stop(): Promise<void>;
  cont(): Promise<void>;
  reset(): Promise<void>;
  quit(): Promise<void>;
  injectFault(id: string, kind: 'crash' | 'hang'): Promise<void>;
}

export interface QmpDeviceInfo {
  id: string;
  type: string;
  class: string;
  placement: 'isolated' | 'monolithic' | 'cpu-worker';
  worker: string;
  state: 'running' | 'failed' | 'detached' | 'restarted' | 'paused';
  capabilities: string[];
  statistics: Record<string, number>;
}

type Handler = (m: QmpMachine, args: Record<string, unknown>) => unknown | Promise<unknown>;

function str(args: Record<string, unknown>, key: string, required: true): string;
function str(args: Record<string, unknown>, key: string, required: false): string | undefined;
function str(args: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = args[key];
  if (v === undefined) {
    if (required) throw new QmpError('GenericError', `Parameter '${key}' is missing`);
    return undefined;
  }
  if (typeof v !== 'string') throw new QmpError('GenericError', `Invalid parameter type for '${key}', expected: string`);
  return v;
}

function only(args: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(args)) {
    if (!allowed.includes(k)) throw new QmpError('GenericError', `Parameter '${k}' is unexpected`);
  }
}

const commands: Record<string, Handler> = {
  qmp_capabilities: (_m, a) => { only(a, ['enable']); return {}; },
  'query-commands': () => Object.keys(commands).sort().map((name) => ({ name })),
  'query-status': (m, a) => { only(a, []); return m.status(); },
  'query-device-types': (_m, a) => {
    only(a, []);
    return registryTypes.map((t) => ({
      name: t.name,
      class: t.class,
      bus: t.bus,
      description: t.description,
      ...(t.secure === undefined ? {} : { secure: t.secure }),
      'hotpluggable': t.hotpluggable,
    }));
  },
  'query-devices': (m, a) => { only(a, []); return m.devices(); },
  'query-security': (m, a) => {
    only(a, []);
    const s = m.security();
    return { policy: s.policy, tainted: s.tainted, reasons: s.reasons.map((r) => ({ ...r })) };
  },
  'set-security-policy': (m, a) => {
    only(a, ['policy']);
    let policy: SecurityPolicy;
    try {
      policy = parseSecurityPolicy(str(a, 'policy', true));
    } catch (e) {
      throw new QmpError('GenericError', (e as Error).message);
    }
    const r = m.setSecurityPolicy(policy);
    if (!r.ok) throw new QmpError('GenericError', r.message);
    return {};
  },
  device_add: async (m, a) => {
    const driver = str(a, 'driver', true);
    const id = str(a, 'id', false);
    const props: DeviceProps = {};
    for (const [k, v] of Object.entries(a)) {
      if (k === 'driver' || k === 'id') continue;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new QmpError('GenericError', `Property '${k}' must be a string, number or boolean`);
      }
      props[k] = v;
    }
    if (!registryTypes.some((t) => t.name === driver)) throw new QmpError('GenericError', `'${driver}' is not a valid device model name`);
    const newId = await m.addDevice(driver, id, props);
    return { id: newId };
  },
  device_del: async (m, a) => {
    only(a, ['id']);
    const id = str(a, 'id', true);
    if (!m.devices().some((d) => d.id === id)) throw new QmpError('DeviceNotFound', `Device '${id}' not found`);
    await m.removeDevice(id);
    return {};
  },
  stop: async (m, a) => { only(a, []); await m.stop(); return {}; },
  cont: async (m, a) => { only(a, []); await m.cont(); return {}; },
  system_reset: async (m, a) => { only(a, []); await m.reset(); return {}; },
  quit: async (m, a) => { only(a, []); await m.quit(); return {}; },
  'x-inject-fault': async (m, a) => {
    only(a, ['id', 'fault']);
    const id = str(a, 'id', true);
    const fault = str(a, 'fault', true);
    if (fault !== 'crash' && fault !== 'hang') throw new QmpError('GenericError', `Parameter 'fault' must be 'crash' or 'hang'`);
    if (!m.devices().some((d) => d.id === id)) throw new QmpError('DeviceNotFound', `Device '${id}' not found`);
    await m.injectFault(id, fault);
    return {};
  },
};

export const QMP_GREETING: QmpGreeting = {
  QMP: { version: { qemu: { major: 0, minor: 1, micro: 0 }, package: 'bulkhead' }, capabilities: [] },
};

/** Execute one QMP command against `machine`; always resolves to a QMP answer. */
export async function executeQmp(machine: QmpMachine, cmd: QmpCommand): Promise<QmpAnswer> {
  const withId = <T extends object>(a: T): T => (cmd.id === undefined ? a : { ...a, id: cmd.id });
  const handler = Object.prototype.hasOwnProperty.call(commands, cmd.execute) ? commands[cmd.execute] : undefined;
  if (!handler) return withId({ error: { class: 'CommandNotFound' as const, desc: `The command ${cmd.execute} has not been found` } });
  try {
    const ret = await handler(machine, cmd.arguments ?? {});
    return withId({ return: ret });
  } catch (e) {
    if (e instanceof QmpError) return withId({ error: { class: e.errorClass, desc: e.message } });
    return withId({ error: { class: 'GenericError' as const, desc: e instanceof Error ? e.message : String(e) } });
  }
}
