/**
 * The VM settings as the page keeps them: saved in IndexedDB with idb-keyval under one key,
 * validated field by field when read back. A saved value that is not a valid settings record
 * (corrupt, from an older version, edited by hand) falls back to the defaults and says so.
 */
import { get, set } from 'idb-keyval';
import { DEFAULT_SETTINGS, MEDIUM_KINDS, RAM_CHOICES, type ImageChoice, type VmSettings } from '../workers/vm-settings.js';

export const SETTINGS_KEY = 'bulkhead.settings.v1';

const PLACEMENTS = ['monolithic', 'isolated'];
const RESPONSES = ['stop', 'pause', 'detach', 'restart'];
const POLICIES = ['none', 'warn', 'strict'];

const IMAGE_KEYS: Record<ImageChoice['source'], string[]> = {
  builtin: ['source', 'name', 'kind'],
  url: ['source', 'url', 'kind'],
  file: ['source', 'name', 'size', 'lastModified', 'kind'],
};

/** Check a saved boot-medium choice; returns the problem, or undefined when valid. */
export function validateImage(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const o = v as Record<string, unknown>;
  if (typeof o.source !== 'string' || !Object.hasOwn(IMAGE_KEYS, o.source)) return `source ${JSON.stringify(o.source)}`;
  const keys = IMAGE_KEYS[o.source as ImageChoice['source']];
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length) return `unexpected ${extra.join(', ')}`;
  if (typeof o.kind !== 'string' || !(MEDIUM_KINDS as readonly string[]).includes(o.kind)) return `kind ${JSON.stringify(o.kind)}`;
  if (o.source === 'url') {
    if (typeof o.url !== 'string') return `url ${JSON.stringify(o.url)}`;
    try {
      const u = new URL(o.url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return `url ${JSON.stringify(o.url)} (not http/https)`;
    } catch {
      return `url ${JSON.stringify(o.url)}`;
    }
    return undefined;
  }
  if (typeof o.name !== 'string' || o.name === '' || o.name.length > 1024) return `name ${JSON.stringify(o.name)}`;
  if (o.source === 'file') {
    if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) return `size ${JSON.stringify(o.size)}`;
    if (typeof o.lastModified !== 'number' || !Number.isFinite(o.lastModified)) return `lastModified ${JSON.stringify(o.lastModified)}`;
  }
  return undefined;
}

/** A validated copy of a choice (only the known fields). */
export function copyImage(v: ImageChoice): ImageChoice {
  switch (v.source) {
    case 'builtin': return { source: 'builtin', name: v.name, kind: v.kind };
    case 'url': return { source: 'url', url: v.url, kind: v.kind };
    case 'file': return { source: 'file', name: v.name, size: v.size, lastModified: v.lastModified, kind: v.kind };
  }
}

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
  if (o.image !== undefined) {
    const why = validateImage(o.image);
    if (why) bad.push(`boot medium: ${why}`);
  }
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
  const settings: VmSettings = { ramMiB: o.ramMiB, placement: o.placement, failureResponse: o.failureResponse, policy: o.policy, nic: o.nic, autostart: o.autostart };
  if (o.image !== undefined) settings.image = copyImage(o.image);
  return { settings };
}

export async function saveSettings(s: VmSettings): Promise<void> {
  await set(SETTINGS_KEY, { ...s });
}

/** Store an arbitrary value under the settings key (tests of the corrupt-settings path). */
export async function saveRawSettings(v: unknown): Promise<void> {
  await set(SETTINGS_KEY, v);
}
