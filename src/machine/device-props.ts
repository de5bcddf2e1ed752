/**
 * Typing of user-given device properties against a registry type's PropertySpecs (QEMU's
 * qdev property parsing: `-device TYPE,key=value` and QMP device_add's arguments). One
 * implementation for the command line (string values) and QMP (JSON values): numbers parse
 * strictly (decimal or 0x hex; JSON numbers must be whole), booleans accept on/off, true/false,
 * yes/no, 1/0, enums are checked against `choices`, unknown keys are rejected naming the known
 * ones.
 */
import type { DeviceProps, DeviceType, PropertySpec } from '../devices/api.js';

/** A property value as given by a user: command-line text or a JSON scalar. */
export type RawPropValue = string | number | boolean;

function typeNumber(v: RawPropValue, what: string): number {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`${what}: ${v} is not a whole number`);
    return v;
  }
  if (typeof v === 'boolean') throw new RangeError(`${what}: expected a number, got ${String(v)}`);
  const t = v.trim();
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^[0-9]+$/.test(t)) n = parseInt(t, 10);
  else throw new RangeError(`${what}: '${v}' is not a whole number`);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what}: '${v}' is too large`);
  return n;
}

function typeBoolean(v: RawPropValue, what: string): boolean {
  if (typeof v === 'boolean') return v;
  const t = String(v).trim().toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(t)) return true;
  if (['off', 'false', 'no', '0'].includes(t)) return false;
  throw new RangeError(`${what}: '${String(v)}' is not on/off`);
}

/** Type one value by its spec. */
export function typePropValue(spec: PropertySpec, v: RawPropValue, what: string): number | string | boolean {
  let value: number | string | boolean;
  if (spec.type === 'number') value = typeNumber(v, what);
  else if (spec.type === 'boolean') value = typeBoolean(v, what);
  else {
    if (typeof v !== 'string') throw new RangeError(`${what}: expected a string, got ${String(v)}`);
    value = v;
  }
  if (spec.choices && !spec.choices.includes(value as number | string)) {
    throw new RangeError(`${what}: ${String(value)} is not one of ${spec.choices.join(', ')}`);
  }
  return value;
}

/**
 * Type every property of `raw` for `type`. Throws RangeError with a one-line message on an
 * unknown key or a malformed value; `prefix` starts the message (`--device ne2k_isa`).
 */
export function typeDeviceProps(type: DeviceType, raw: Record<string, RawPropValue>, prefix: string): DeviceProps {
  const props: DeviceProps = {};
  for (const [k, v] of Object.entries(raw)) {
    const spec = Object.prototype.hasOwnProperty.call(type.properties, k) ? type.properties[k] : undefined;
    if (!spec) {
      const known = Object.keys(type.properties).join(', ') || 'none';
      throw new RangeError(`${prefix}: unknown property '${k}' (properties: ${known})`);
    }
    props[k] = typePropValue(spec, v, `${prefix},${k}`);
  }
  return props;
}
