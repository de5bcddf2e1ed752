/**
 * The page's settings store (src/ui/settings.ts): round trip through IndexedDB (fake-indexeddb
 * stands in for the browser's), field validation, and the fallback to the defaults with a
 * notice when the saved record is not valid.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { loadSettings, saveRawSettings, saveSettings, validateSettings } from '../../src/ui/settings.js';
import { DEFAULT_SETTINGS, type VmSettings } from '../../src/workers/vm-settings.js';

const NICS = ['ne2k_isa', 'ne2k_pci', 'e1000'];

describe('settings store', () => {
  it('returns the defaults, without a notice, when nothing is saved', async () => {
    await saveRawSettings(undefined);
    expect(await loadSettings(NICS)).toEqual({ settings: DEFAULT_SETTINGS });
  });

  it('round-trips a valid record', async () => {
    const s: VmSettings = { ramMiB: 256, placement: 'isolated', failureResponse: 'restart', policy: 'strict', nic: 'e1000', autostart: false };
    await saveSettings(s);
    const back = await loadSettings(NICS);
    expect(back.settings).toEqual(s);
    expect(back.notice).toBeUndefined();
  });

  it('falls back to the defaults with a notice naming the bad fields', async () => {
    await saveRawSettings({ ...DEFAULT_SETTINGS, ramMiB: 100, policy: 'paranoid' });
    const back = await loadSettings(NICS);
    expect(back.settings).toEqual(DEFAULT_SETTINGS);
    expect(back.notice).toMatch(/invalid/);
    expect(back.notice).toMatch(/memory 100/);
    expect(back.notice).toMatch(/policy "paranoid"/);
    await saveRawSettings('garbage');
    expect((await loadSettings(NICS)).notice).toMatch(/not an object/);
  });

  it('rejects a NIC that is not in the registry and every wrong type', () => {
    expect(validateSettings({ ...DEFAULT_SETTINGS, nic: 'rtl8139' }, NICS)).toEqual(['NIC "rtl8139"']);
    expect(validateSettings({ ...DEFAULT_SETTINGS, nic: 'e1000' }, NICS)).toEqual([]);
    expect(validateSettings({ ramMiB: '128', placement: 1, failureResponse: null, policy: [], nic: 3, autostart: 'yes' }, NICS)).toHaveLength(6);
    expect(validateSettings(null, NICS)).toEqual(['not an object']);
    expect(validateSettings([], NICS)).toEqual(['not an object']);
  });
});
