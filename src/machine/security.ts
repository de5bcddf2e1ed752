/**
 * The machine's side of the security policy (docs/security.md): what a machine configuration
 * tells the pure policy engine (src/security/policy.ts) at start — every device instance with
 * its registry `secure` status, the effective placement, user-supplied firmware, enabled debug
 * ports — and the refusal error a strict policy raises before anything is built.
 *
 * After QEMU's per-type security marking (`-compat` / accept-warn-reject of insecure devices)
 * and libvirt's sticky taint flags.
 */
import type { DeviceClass, DeviceType } from '../devices/api.js';
import { deviceTypes, findDeviceType } from '../devices/registry.js';
import { checkStart, parseSecurityPolicy, type DeviceSecurityInfo, type PolicyDecision, type SecurityPolicy, type StartCheckInput } from '../security/policy.js';
import type { MachineConfig, Placement } from './config.js';

/** Device type by name: the registry, plus test-only types (MachineConfig.typeModules). */
export type TypeLookup = (name: string) => DeviceType | undefined;

/** Thrown by createMachine when the policy refuses the configuration (nothing was started). */
export class SecurityRefusedError extends Error {
  constructor(readonly decision: PolicyDecision) {
    super(decision.message ?? 'security policy refused the machine');
    this.name = 'SecurityRefusedError';
  }
}

/**
 * A secure type of the same class to suggest instead of a not-secure one (same bus preferred),
 * e.g. e1000 for ne2k_pci.
 */
export function secureAlternative(type: DeviceType): string | undefined {
  if (type.secure === true) return undefined;
  const same = deviceTypes.filter((t) => t.class === type.class && t.secure === true && t.bus !== 'ide' && t.bus !== 'floppy');
  return (same.find((t) => t.bus === type.bus) ?? same[0])?.name;
}

/** Security information of one device instance of registry type `type`. */
export function deviceSecurityInfo(id: string, type: DeviceType): DeviceSecurityInfo {
  return { id, type: type.name, class: type.class as DeviceClass, secure: type.secure, secureAlternative: secureAlternative(type) };
}

/**
 * Instances named by a controller's properties (piix3-ide `hda: 'ide-hd'`, isa-fdc drives):
 * a property whose string value is a registry type on the controller's child bus is a child
 * device `<id>.<prop>`.
 */
function childDevices(id: string, type: DeviceType, props: Record<string, unknown> | undefined): DeviceSecurityInfo[] {
  const out: DeviceSecurityInfo[] = [];
  for (const [k, v] of Object.entries(props ?? {})) {
    if (typeof v !== 'string') continue;
    const child = findDeviceType(v);
    if (child && (child.bus === 'ide' || child.bus === 'floppy') && child !== type) out.push(deviceSecurityInfo(`${id}.${k}`, child));
  }
  return out;
}

/** The placement the machine will really use (isolated falls back to monolithic without a launcher). */
export function effectivePlacement(config: MachineConfig, hasLauncher: boolean): Placement {
  const p = config.placement ?? 'isolated';
  return p === 'isolated' && !hasLauncher ? 'monolithic' : p;
}

/**
 * What the policy engine needs to judge `config` at start. Instance ids follow createMachine's
 * numbering (`<type>.<n>` unless the config names them). Monolithic placement is a reason only
 * when there is at least one non-chipset device (the chipset always runs in the CPU worker by
 * design). Unknown types are left to createMachine's own error.
 */
export function startCheckInput(config: MachineConfig, placement: Placement, find: TypeLookup = findDeviceType): StartCheckInput {
  const counts = new Map<string, number>();
  const nextId = (name: string) => {
    const n = counts.get(name) ?? 0;
    counts.set(name, n + 1);
    return `${name}.${n}`;
  };
  const devices: DeviceSecurityInfo[] = [];
  for (const t of deviceTypes) if (t.class === 'chipset') devices.push(deviceSecurityInfo(nextId(t.name), t));
  let placedCount = 0;
  for (const cfg of config.devices ?? []) {
    const t = find(cfg.type);
    if (!t || t.class === 'chipset') continue;
    placedCount++;
    const id = cfg.id ?? nextId(t.name);
    devices.push(deviceSecurityInfo(id, t), ...childDevices(id, t, cfg.props));
  }
  return {
    devices,
    placement: placedCount > 0 ? placement : 'isolated',
    customFirmware: [...(config.customFirmware ?? [])],
    debugPorts: [...(config.debugPorts ?? [])],
  };
}

/** Judge `config` under its policy; throws SecurityRefusedError when refused. */
export function checkMachineStart(config: MachineConfig, placement: Placement, find: TypeLookup = findDeviceType): PolicyDecision {
  // Parsed again: callers from plain JavaScript (the page) may pass QEMU's spellings.
  const policy: SecurityPolicy = parseSecurityPolicy(config.policy ?? 'none');
  const decision = checkStart(policy, startCheckInput(config, placement, find));
  if (!decision.allowed) throw new SecurityRefusedError(decision);
  return decision;
}
