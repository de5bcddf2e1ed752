/**
 * The VM settings as the page keeps them: saved in IndexedDB with idb-keyval under one key,
 * validated field by field when read back. A saved value that is not a valid settings record
 * (corrupt, from an older version, edited by hand) falls back to the defaults and says so.
 */
import { get, set } from 'idb-keyval';
import { DEFAULT_SETTINGS, RAM_CHOICES, type VmSettings } from '../workers/vm-settings.js';

export const SETTINGS_KEY = 'bulkhead.settings.v1';

const PLACEMENTS = ['monolithic', 'isolated'];
const RESPONSES = ['stop', 'pause', 'detach', 'restart'];
const POLICIES = ['none', 'warn', 'strict'];

/** Check one stored record; returns the problems found (empty: valid). */
export function validateSettings(v: unknown, nics: readonly string[]): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return ['not an object'];
  const o = v as Record<string, unknown>;
  const bad: string[] = [];
  if (typeof o.ramMiB !== 'number' || !RAM_CHOICES.includes(o.ramMiB)) bad.push(`memory ${JSON.stringify(o.ramMiB)}`);
  if (typeof o.placement !== 'string' || !PLACEMENTS.includes(o.placement)) bad.push(`placement ${JSON.stringify(o.placement)}`);
  if (typeof o.failureResponse !== 'string' || !RESPONSES.includes(o.failureResponse)) bad.push(`failure response ${JSON.stringify(o.failureResponse)}`);
  if (typeof o.policy !== 'string' || !POLICIES.includes(o.policy)) bad.push(`policy ${JSON.stringify(o.policy)}`);
  if (typeof o.nic !== 'string' || (o.nic !== 'none' && !nics.includes(o.nic))) bad.push(`NIC ${JSON.stringify(o.nic)}`);
  if (typeof o.autostart !== 'boolean') bad.push(`autostart ${JSON.stringify(o.autostart)}`);
  return bad;
}

export interface LoadedSettings {
  settings: VmSettings;
  /** Set when a saved record was rejected (the defaults are used). */
  notice?: string;
}

export async function loadSettings(nics: readonly string[]): Promise<LoadedSettings> {
  let raw: unknown;
  try {
    raw = await get(SETTINGS_KEY);
  } catch (e) {
    return { settings: { ...DEFAULT_SETTINGS }, notice: `saved settings could not be read (${String(e)}); using the defaults` };
  }
  if (raw === undefined) return { settings: { ...DEFAULT_SETTINGS } };
  const bad = validateSettings(raw, nics);
  if (bad.length) return { settings: { ...DEFAULT_SETTINGS }, notice: `saved settings were invalid (${bad.join(', ')}); using the defaults` };
  const o = raw as VmSettings;
  return { settings: { ramMiB: o.ramMiB, placement: o.placement, failureResponse: o.failureResponse, policy: o.policy, nic: o.nic, autostart: o.autostart } };
}

export async function saveSettings(s: VmSettings): Promise<void> {
  await set(SETTINGS_KEY, { ...s });
}

/** Store an arbitrary value under the settings key (tests of the corrupt-settings path). */
export async function saveRawSettings(v: unknown): Promise<void> {
  await set(SETTINGS_KEY, v);
}
