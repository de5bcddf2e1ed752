/**
 * Small helpers shared by the chipset device models: property lookup with defaults, BCD
 * conversion, access-size splitting and state validation. No device logic lives here.
 */
import type { AccessSize, DeviceProps, DeviceState, PropertySpec } from '../api.js';

/** A number property, falling back to the spec's default when absent or of the wrong type. */
export function numProp(props: DeviceProps, specs: Record<string, PropertySpec>, name: string): number {
  const v = props[name];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const d = specs[name]?.default;
  return typeof d === 'number' ? d : 0;
}

export function boolProp(props: DeviceProps, specs: Record<string, PropertySpec>, name: string): boolean {
  const v = props[name];
  if (typeof v === 'boolean') return v;
  return specs[name]?.default === true;
}

export function strProp(props: DeviceProps, specs: Record<string, PropertySpec>, name: string): string {
  const v = props[name];
  if (typeof v === 'string') return v;
  const d = specs[name]?.default;
  return typeof d === 'string' ? d : '';
}

/** Binary 0..99 → packed BCD. */
export function toBcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

/** Packed BCD → binary (invalid nibbles are taken at face value, as the chips do). */
export function fromBcd(v: number): number {
  return ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

/** All-ones value of an access of `size` bytes. */
export function ones(size: AccessSize): number {
  return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
}

/** Mask `value` to an access of `size` bytes (unsigned). */
export function maskTo(size: AccessSize, value: number): number {
  return size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
}

/**
 * Split a wide access into byte accesses: read `size` bytes starting at `offset` with
 * `readByte`, little-endian.
 */
export function readBytesLE(offset: number, size: AccessSize, readByte: (off: number) => number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = (v * 256) + (readByte(offset + i) & 0xff);
  return v >>> 0;
}

export function writeBytesLE(offset: number, size: AccessSize, value: number, writeByte: (off: number, b: number) => void): void {
  for (let i = 0; i < size; i++) writeByte(offset + i, (value >>> (8 * i)) & 0xff);
}

/** Thrown by loadState when a snapshot does not fit this device type or version. */
export class DeviceStateError extends Error {}

/** Check a snapshot's type and version; returns its data. */
export function checkState(state: DeviceState, type: string, version: number): Record<string, unknown> {
  if (!state || state.type !== type) throw new DeviceStateError(`state is for '${state?.type}', expected '${type}'`);
  if (state.version !== version) throw new DeviceStateError(`${type}: state version ${state.version} not supported (want ${version})`);
  if (typeof state.data !== 'object' || state.data === null) throw new DeviceStateError(`${type}: state has no data`);
  return state.data;
}

/** Read a numeric field of a snapshot, validating its range. */
export function stNum(data: Record<string, unknown>, key: string, min = 0, max = 0xffffffff): number {
  const v = data[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new DeviceStateError(`state field '${key}' invalid: ${String(v)}`);
  }
  return v;
}

export function stBool(data: Record<string, unknown>, key: string): boolean {
  const v = data[key];
  if (typeof v !== 'boolean') throw new DeviceStateError(`state field '${key}' is not a boolean`);
  return v;
}

/** Read a byte-array field (stored as number[]) of exactly `length` entries. */
export function stBytes(data: Record<string, unknown>, key: string, length: number): Uint8Array<ArrayBuffer> {
  const v = data[key];
  if (!Array.isArray(v) || v.length !== length || !v.every((b) => typeof b === 'number' && b >= 0 && b <= 255)) {
    throw new DeviceStateError(`state field '${key}' must be ${length} bytes`);
  }
  return Uint8Array.from(v as number[]);
}

export function hex(v: number, digits = 2): string {
  return '0x' + (v >>> 0).toString(16).padStart(digits, '0');
}
