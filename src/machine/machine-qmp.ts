/**
 * The Machine as a QMP target: implements `QmpMachine` (src/qmp/dispatcher.ts) so one
 * dispatcher serves the machine API (`machine.qmp(cmd)`), the command line (`--qmp stdio`) and
 * the page. Run states follow QEMU's RunState names (qapi/run-state.json); device_add checks
 * the security policy first (src/security/policy.ts) and only then whether the type can be
 * hot-plugged (docs/qmp.md, "device_add").
 */
import type { DeviceProps } from '../devices/api.js';
import { findDeviceType } from '../devices/registry.js';
import { checkHotAdd, type SecurityPolicy, type TaintReason } from '../security/policy.js';
import { QmpError } from '../qmp/protocol.js';
import type { QmpDeviceInfo, QmpMachine } from '../qmp/dispatcher.js';
import { typeDeviceProps, type RawPropValue } from './device-props.js';
import type { Machine } from './machine.js';
import { deviceSecurityInfo } from './security.js';

export class MachineQmp implements QmpMachine {
  constructor(private readonly m: Machine) {}

  status(): ReturnType<QmpMachine['status']> {
    switch (this.m.state) {
      case 'created': return { running: false, status: 'prelaunch' };
      case 'running': return { running: true, status: 'running' };
      case 'paused': return { running: false, status: 'paused' };
      case 'halted': return { running: false, status: 'internal-error' };
      case 'stopped': return { running: false, status: 'shutdown' };
    }
  }

  devices(): QmpDeviceInfo[] {
    return this.m.devices.map((d): QmpDeviceInfo => {
      const placed = this.m.placementOf(d.id);
      const chipset = d.type.class === 'chipset' || !placed;
      const statistics: Record<string, number> = { ...d.bus.stats, guestErrors: d.guestErrors };
      let state: QmpDeviceInfo['state'] = 'running';
      if (!chipset) {
        for (const [k, v] of Object.entries(placed.stats(d.id))) statistics[k] = v;
        const h = placed.health(d.id);
        state = h === 'stopped' ? 'failed' : h === 'restarting' ? 'restarted' : h;
      }
      return {
        id: d.id,
        type: d.type.name,
        class: d.type.class,
        placement: chipset ? 'cpu-worker' : placed.placement,
        worker: chipset || placed.placement === 'monolithic' ? 'cpu' : d.type.class,
        state,
        capabilities: [...d.type.capabilities],
        statistics,
      };
    });
  }

  security(): { policy: SecurityPolicy; tainted: boolean; reasons: readonly TaintReason[] } {
    const s = this.m.security;
    return { policy: s.policy, tainted: s.tainted, reasons: s.reasons };
  }

  setSecurityPolicy(policy: SecurityPolicy): { ok: true } | { ok: false; message: string } {
    return this.m.security.setPolicy(policy);
  }

  /**
   * Hot-add. Order: type and properties, id, the security policy (a strict refusal names the
   * device and its class; the machine keeps running), then hot-plug itself: PCI devices without
   * fixed ISA resources are created in the machine's placement and plugged into the next free
   * slot (Machine.hotPlug); ISA types cannot be hot-plugged (as in QEMU). The device's taint is
   * recorded only once it is really in the machine.
   */
  async addDevice(typeName: string, id: string | undefined, rawProps: DeviceProps): Promise<string> {
    const type = findDeviceType(typeName);
    if (!type) throw new QmpError('GenericError', `'${typeName}' is not a valid device model name`);
    if (type.class === 'chipset') throw new QmpError('GenericError', `'${typeName}' is part of the chipset and always present`);
    let props: DeviceProps;
    try {
      props = typeDeviceProps(type, rawProps as Record<string, RawPropValue>, `device_add ${typeName}`);
    } catch (e) {
      throw new QmpError('GenericError', (e as Error).message);
    }
    if (id !== undefined && !/^[A-Za-z][A-Za-z0-9_.-]*$/.test(id)) {
      throw new QmpError('GenericError', `Parameter 'id' expects an identifier (a letter, then letters, digits, '-', '.', '_')`);
    }
    if (id !== undefined && this.m.device(id)) throw new QmpError('GenericError', `Duplicate device ID '${id}'`);
    if (this.m.state === 'stopped') throw new QmpError('GenericError', 'the machine has shut down');
    const newId = id ?? this.freeId(type.name);
    const decision = checkHotAdd(this.m.security.policy, deviceSecurityInfo(newId, type));
    if (!decision.allowed) throw new QmpError('GenericError', decision.message ?? 'refused by the security policy');
    if (!type.hotpluggable) {
      throw new QmpError('GenericError', `Device '${type.name}' can not be hotplugged on this machine (${type.bus} bus)`);
    }
    try {
      await this.m.hotPlug(type, newId, props);
    } catch (e) {
      throw new QmpError('GenericError', e instanceof Error ? e.message : String(e));
    }
    for (const r of decision.reasons) this.m.recordTaint(r);
    return newId;
  }

  async removeDevice(id: string): Promise<void> {
    const d = this.m.device(id);
    if (!d) throw new QmpError('DeviceNotFound', `Device '${id}' not found`);
    if (d.type.class === 'chipset') throw new QmpError('GenericError', `Device '${id}' is part of the chipset and cannot be removed`);
    if (!d.type.hotpluggable) throw new QmpError('GenericError', `Device '${id}' (${d.type.name}) does not support hot-unplugging`);
    if (!this.m.isHotPlugged(id)) {
      throw new QmpError('GenericError', `device hot-unplug is supported only for hot-plugged devices yet; '${id}' was configured at start`);
    }
    if (this.m.state === 'stopped') throw new QmpError('GenericError', 'the machine has shut down');
    await this.m.hotUnplug(id);
    // QEMU's DEVICE_DELETED (unplug completes at once: there is no guest handshake).
    this.m.qmpEvent('DEVICE_DELETED', { device: id });
  }

  async stop(): Promise<void> {
    if (this.m.state === 'stopped') throw new QmpError('GenericError', 'the machine has shut down');
    await this.m.pause();
  }

  async cont(): Promise<void> {
    const s = this.m.state;
    if (s === 'halted') throw new QmpError('GenericError', 'Resetting the Virtual Machine is required (the guest stopped for good; use system_reset)');
    if (s === 'stopped') throw new QmpError('GenericError', 'the machine has shut down');
    if (s === 'created' || s === 'paused') this.m.start();
  }

  async reset(): Promise<void> {
    if (this.m.state === 'stopped') throw new QmpError('GenericError', 'the machine has shut down');
    this.m.reset('qmp');
  }

  async quit(): Promise<void> {
    await this.m.stop('host-qmp-quit');
  }

  async injectFault(id: string, kind: 'crash' | 'hang'): Promise<void> {
    const d = this.m.device(id);
    if (!d) throw new QmpError('DeviceNotFound', `Device '${id}' not found`);
    const placed = this.m.placementOf(id);
    if (d.type.class === 'chipset' || !placed) {
      throw new QmpError('GenericError', `Device '${id}' runs in the CPU worker as part of the chipset; faults can be injected only into placed devices`);
    }
    if (this.m.state === 'stopped') throw new QmpError('GenericError', 'the machine has shut down');
    if (placed.health(id) !== 'running') throw new QmpError('DeviceNotActive', `Device '${id}' is not running (${placed.health(id)})`);
    if (kind === 'crash') placed.crash(id);
    else placed.hang(id);
  }

  private freeId(name: string): string {
    for (let n = 0; ; n++) if (!this.m.device(`${name}.${n}`)) return `${name}.${n}`;
  }
}
