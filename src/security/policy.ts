/**
 * Security policy and taint: every device type says whether it is inside the security
 * boundary (registry `secure`), a policy acts on it, and taint is recorded for the machine's
 * life with its reasons (after QEMU's security-status marking and its later accept/warn/reject
 * policy, and libvirt's sticky taint flags).
 *
 * Decisions (docs/security.md):
 * - `strict` means the machine never runs tainted: a start with any taint reason (a not-secure
 *   device, monolithic placement, custom firmware, a debug port) is refused with one message
 *   naming every reason; a not-secure hot-add is refused and the machine keeps running; a
 *   runtime taint stops the guest.
 * - `warn` starts and emits one warning per reason; runtime taint emits an event.
 * - `none` starts silently; taint is still recorded and visible.
 * - Switching a running machine that is already tainted to `strict` is refused with the
 *   reasons (the policy stays as it was, the guest keeps running). An untainted machine may
 *   switch to any policy at any time.
 */
import type { DeviceClass, SecureStatus } from '../devices/api.js';

export type SecurityPolicy = 'none' | 'warn' | 'strict';

/** Accepts Bulkhead's spelling and QEMU's later accept / warn / reject. */
export function parseSecurityPolicy(text: string): SecurityPolicy {
  switch (text.trim().toLowerCase()) {
    case 'none':
    case 'accept':
      return 'none';
    case 'warn':
      return 'warn';
    case 'strict':
    case 'reject':
      return 'strict';
    default:
      throw new RangeError(`unknown security policy '${text}': use none, warn or strict (or accept, warn, reject)`);
  }
}

export type TaintKind =
  | 'insecure-device' // a device type outside the boundary (secure: false) or unknown (absent)
  | 'monolithic' // devices run inside the CPU worker, not isolated
  | 'device-detached' // a failed device was detached and the guest ran on
  | 'custom-firmware' // firmware other than the manifest's
  | 'debug-port' // a debug port (e.g. isa-debugcon) is enabled
  | 'runtime'; // a device's own taint(reason) hint from a risky code path

export interface TaintReason {
  kind: TaintKind;
  /** Milliseconds since the Unix epoch (wall clock of the control plane). */
  time: number;
  /** Who reported it: 'machine', 'policy', or a device id. */
  source: string;
  /** The device instance id, when one device is the reason. */
  device?: string;
  message: string;
}

/** What the policy engine knows about one device instance. */
export interface DeviceSecurityInfo {
  id: string;
  type: string;
  class: DeviceClass;
  secure: SecureStatus;
  /** Where a secure alternative of the same class exists, its type name (for the UI). */
  secureAlternative?: string;
}

export interface StartCheckInput {
  devices: DeviceSecurityInfo[];
  placement: 'isolated' | 'monolithic';
  customFirmware: string[]; // names of ROM files not from the manifest
  debugPorts: string[]; // device ids of enabled debug ports
}

export interface PolicyDecision {
  allowed: boolean;
  /** Reasons found (all of them, whatever the decision). */
  reasons: Omit<TaintReason, 'time'>[];
  /** One human-readable message when refused (names every reason), else warnings per reason. */
  message?: string;
  warnings: string[];
}

function describeStatus(s: SecureStatus): string {
  return s === false ? 'not secure' : 'of unknown security status (treated as not secure)';
}

/** The taint reasons a machine configuration carries at start. Pure; no state. */
export function startTaintReasons(input: StartCheckInput): Omit<TaintReason, 'time'>[] {
  const reasons: Omit<TaintReason, 'time'>[] = [];
  for (const d of input.devices) {
    if (d.secure === true) continue;
    const alt = d.secureAlternative ? `; use '${d.secureAlternative}' instead` : '';
    reasons.push({
      kind: 'insecure-device',
      source: 'machine',
      device: d.id,
      message: `device '${d.id}' (${d.type}, ${d.class} class) is ${describeStatus(d.secure)}${alt}`,
    });
  }
  if (input.placement === 'monolithic') {
    reasons.push({ kind: 'monolithic', source: 'machine', message: 'placement is monolithic: device models run inside the CPU worker, not isolated' });
  }
  for (const f of input.customFirmware) {
    reasons.push({ kind: 'custom-firmware', source: 'machine', message: `firmware '${f}' is user-supplied, not the manifest's` });
  }
  for (const id of input.debugPorts) {
    reasons.push({ kind: 'debug-port', source: 'machine', device: id, message: `debug port '${id}' is enabled` });
  }
  return reasons;
}

/** Decide whether a machine may start under `policy`. */
export function checkStart(policy: SecurityPolicy, input: StartCheckInput): PolicyDecision {
  const reasons = startTaintReasons(input);
  if (policy === 'strict' && reasons.length > 0) {
    const lines = reasons.map((r) => `  - ${r.message}`).join('\n');
    return {
      allowed: false,
      reasons,
      warnings: [],
      message: `security policy 'strict' refuses to start this machine (${reasons.length} reason${reasons.length > 1 ? 's' : ''}):\n${lines}`,
    };
  }
  return { allowed: true, reasons, warnings: policy === 'warn' ? reasons.map((r) => `warning: ${r.message}`) : [] };
}

/** Decide whether a device may be hot-added to a running machine under `policy`. */
export function checkHotAdd(policy: SecurityPolicy, device: DeviceSecurityInfo): PolicyDecision {
  const reasons = startTaintReasons({ devices: [device], placement: 'isolated', customFirmware: [], debugPorts: [] });
  if (policy === 'strict' && reasons.length > 0) {
    return { allowed: false, reasons, warnings: [], message: `security policy 'strict' refuses to add ${reasons[0].message}` };
  }
  return { allowed: true, reasons, warnings: policy === 'warn' ? reasons.map((r) => `warning: ${r.message}`) : [] };
}
