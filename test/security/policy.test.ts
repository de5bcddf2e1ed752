import { describe, expect, it } from 'vitest';
import { checkHotAdd, checkStart, parseSecurityPolicy, type DeviceSecurityInfo } from '../../src/security/policy.js';
import { SecurityState, type SecurityEvent } from '../../src/security/taint-log.js';

const ide: DeviceSecurityInfo = { id: 'ide0', type: 'piix3-ide', class: 'storage', secure: true };
const ne2k: DeviceSecurityInfo = { id: 'net0', type: 'ne2k_pci', class: 'network', secure: false, secureAlternative: 'e1000' };
const mystery: DeviceSecurityInfo = { id: 'x0', type: 'mystery', class: 'sound', secure: undefined };
const clean = { devices: [ide], placement: 'isolated' as const, customFirmware: [], debugPorts: [] };
const hostile = { devices: [ide, ne2k, mystery], placement: 'monolithic' as const, customFirmware: ['my-bios.bin'], debugPorts: ['debugcon'] };

describe('parseSecurityPolicy', () => {
  it('accepts both spellings', () => {
    expect(parseSecurityPolicy('none')).toBe('none');
    expect(parseSecurityPolicy('accept')).toBe('none');
    expect(parseSecurityPolicy('WARN')).toBe('warn');
    expect(parseSecurityPolicy('reject')).toBe('strict');
    expect(parseSecurityPolicy('strict')).toBe('strict');
  });
  it('rejects anything else with a clear error', () => {
    expect(() => parseSecurityPolicy('paranoid')).toThrow(/unknown security policy 'paranoid'/);
  });
});

describe('checkStart', () => {
  it('allows a clean machine under every policy without reasons', () => {
    for (const p of ['none', 'warn', 'strict'] as const) {
      const d = checkStart(p, clean);
      expect(d.allowed).toBe(true);
      expect(d.reasons).toEqual([]);
      expect(d.warnings).toEqual([]);
    }
  });
  it('strict refuses a hostile machine naming every reason', () => {
    const d = checkStart('strict', hostile);
    expect(d.allowed).toBe(false);
    expect(d.reasons.map((r) => r.kind)).toEqual(['insecure-device', 'insecure-device', 'monolithic', 'custom-firmware', 'debug-port']);
    expect(d.message).toContain("'net0' (ne2k_pci, network class) is not secure; use 'e1000' instead");
    expect(d.message).toContain("'x0' (mystery, sound class) is of unknown security status");
    expect(d.message).toContain('monolithic');
    expect(d.message).toContain('my-bios.bin');
    expect(d.message).toContain('5 reasons');
  });
  it('warn allows with one warning per reason; none allows silently but still reports reasons', () => {
    const w = checkStart('warn', hostile);
    expect(w.allowed).toBe(true);
    expect(w.warnings).toHaveLength(5);
    const n = checkStart('none', hostile);
    expect(n.allowed).toBe(true);
    expect(n.warnings).toEqual([]);
    expect(n.reasons).toHaveLength(5);
  });
});

describe('checkHotAdd', () => {
  it('strict refuses a not-secure device and allows a secure one', () => {
    expect(checkHotAdd('strict', ne2k).allowed).toBe(false);
    expect(checkHotAdd('strict', ne2k).message).toMatch(/refuses to add device 'net0'/);
    expect(checkHotAdd('strict', ide).allowed).toBe(true);
    expect(checkHotAdd('warn', ne2k).warnings).toHaveLength(1);
  });
});

describe('SecurityState', () => {
  function make(policy: 'none' | 'warn' | 'strict') {
    const events: SecurityEvent[] = [];
    let t = 1000;
    const s = new SecurityState(policy, () => t++, (e) => events.push(e));
    return { s, events };
  }
  it('taint is sticky, deduplicated, timed and ordered', () => {
    const { s, events } = make('none');
    expect(s.tainted).toBe(false);
    expect(s.taint({ kind: 'runtime', source: 'net0', device: 'net0', message: 'risky path' })).toBe('continue');
    s.taint({ kind: 'runtime', source: 'net0', device: 'net0', message: 'risky path' });
    s.taint({ kind: 'device-detached', source: 'machine', device: 'ide0', message: 'ide0 detached' });
    expect(s.tainted).toBe(true);
    expect(s.reasons.map((r) => [r.kind, r.time])).toEqual([['runtime', 1000], ['device-detached', 1001]]);
    expect(events.map((e) => e.event)).toEqual(['TAINTED', 'TAINTED']);
  });
  it('a runtime taint stops the guest under strict and warns under warn', () => {
    expect(make('strict').s.taint({ kind: 'runtime', source: 'd', message: 'm' })).toBe('stop');
    const { s, events } = make('warn');
    expect(s.taint({ kind: 'runtime', source: 'd', message: 'm' })).toBe('continue');
    expect(events.map((e) => e.event)).toEqual(['TAINTED', 'SECURITY_WARNING']);
  });
  it('refuses switching a tainted machine to strict, allows it when clean', () => {
    const { s, events } = make('warn');
    expect(s.setPolicy('strict')).toEqual({ ok: true });
    expect(s.policy).toBe('strict');
    s.setPolicy('none');
    s.taint({ kind: 'monolithic', source: 'machine', message: 'monolithic placement' });
    const r = s.setPolicy('strict');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('monolithic placement');
    expect(s.policy).toBe('none');
    expect(events.filter((e) => e.event === 'POLICY_CHANGED')).toHaveLength(2);
  });
  it('hot-add under strict refuses without tainting; under none it taints', () => {
    const strict = make('strict');
    expect(strict.s.hotAdd(ne2k).allowed).toBe(false);
    expect(strict.s.tainted).toBe(false);
    const none = make('none');
    expect(none.s.hotAdd(ne2k).allowed).toBe(true);
    expect(none.s.reasons[0].device).toBe('net0');
  });
});
