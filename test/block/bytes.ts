/** Fast byte-array comparison for block tests (deep equality on large arrays is slow). */
import { expect } from 'vitest';

/** Index of the first difference, or -1 when equal (a length difference counts). */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(firstDiff(actual, expected), `first differing byte (lengths ${actual.length}/${expected.length})`).toBe(-1);
}
