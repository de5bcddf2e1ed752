/**
 * The machine's security state: its policy and its sticky taint log. Taint is never cleared
 * for the life of a machine (a reset keeps it); each reason keeps its time, source and device.
 * The log decides what a runtime taint means under the current policy and reports events
 * through a listener, so the machine, the QMP layer and the panel see the same thing.
 */
import { checkHotAdd, type DeviceSecurityInfo, type PolicyDecision, type SecurityPolicy, type TaintReason } from './policy.js';

export type SecurityEvent =
  | { event: 'TAINTED'; reason: TaintReason }
  | { event: 'POLICY_CHANGED'; from: SecurityPolicy; to: SecurityPolicy }
  | { event: 'SECURITY_WARNING'; message: string };

/** What the machine must do after a runtime taint. */
export type TaintAction = 'continue' | 'stop';

export class SecurityState {
  private readonly reasonList: TaintReason[] = [];

  constructor(
    private currentPolicy: SecurityPolicy,
    private readonly wallClockMs: () => number,
    private readonly emit: (e: SecurityEvent) => void = () => {},
  ) {}

  get policy(): SecurityPolicy {
    return this.currentPolicy;
  }
  get tainted(): boolean {
    return this.reasonList.length > 0;
  }
  get reasons(): readonly TaintReason[] {
    return this.reasonList;
  }

  /**
   * Record a taint reason (deduplicated by kind + device + message) and say what the policy
   * requires: under strict a runtime taint stops the guest; otherwise the guest continues.
   */
  taint(reason: Omit<TaintReason, 'time'>): TaintAction {
    const dup = this.reasonList.some((r) => r.kind === reason.kind && r.device === reason.device && r.message === reason.message);
    if (!dup) {
      const full: TaintReason = { ...reason, time: this.wallClockMs() };
      this.reasonList.push(full);
      this.emit({ event: 'TAINTED', reason: full });
      if (this.currentPolicy === 'warn') this.emit({ event: 'SECURITY_WARNING', message: `warning: ${reason.message}` });
    }
    return this.currentPolicy === 'strict' ? 'stop' : 'continue';
  }

  /** Check a hot-add; when allowed, the device's taint (if any) is recorded. */
  hotAdd(device: DeviceSecurityInfo): PolicyDecision {
    const d = checkHotAdd(this.currentPolicy, device);
    if (d.allowed) for (const r of d.reasons) this.taint(r);
    return d;
  }

  /**
   * Change the policy. Refused (returns the refusal message) when switching to strict while
   * already tainted; the policy then stays as it was.
   */
  setPolicy(next: SecurityPolicy): { ok: true } | { ok: false; message: string } {
    if (next === 'strict' && this.tainted && this.currentPolicy !== 'strict') {
      const lines = this.reasonList.map((r) => `  - ${r.message}`).join('\n');
      return { ok: false, message: `cannot switch to 'strict': the machine is already tainted:\n${lines}` };
    }
    const from = this.currentPolicy;
    if (from !== next) {
      this.currentPolicy = next;
      this.emit({ event: 'POLICY_CHANGED', from, to: next });
    }
    return { ok: true };
  }
}
