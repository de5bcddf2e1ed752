/**
 * The boot-medium part of the saved settings (src/ui/settings.ts `image`, vm-settings.ts
 * ImageChoice) and the chooser's drive guess (src/ui/image-chooser.ts): every source round-trips,
 * a malformed choice makes the whole record invalid (notice + defaults), never a crash.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { loadSettings, saveRawSettings, saveSettings, validateImage } from '../../src/ui/settings.js';
import { DEFAULT_SETTINGS, type ImageChoice, type VmSettings } from '../../src/workers/vm-settings.js';

const BASE: VmSettings = { ramMiB: 128, placement: 'monolithic', failureResponse: 'stop', policy: 'none', nic: 'none', autostart: true };

describe('saved boot medium', () => {
  const good: ImageChoice[] = [
    { source: 'builtin', name: 'linux.iso', kind: 'cdrom' },
    { source: 'url', url: 'https://example.org/disk.img', kind: 'disk' },
    { source: 'file', name: 'dos.img', size: 1474560, lastModified: 1700000000000, kind: 'floppy' },
  ];
  it('round-trips every source', async () => {
    for (const image of good) {
      await saveSettings({ ...BASE, image });
      expect(await loadSettings([])).toEqual({ settings: { ...BASE, image } });
    }
  });

  it('keeps records without a medium as they are (default image)', async () => {
    await saveSettings(BASE);
    const l = await loadSettings([]);
    expect(l.settings).toEqual(BASE);
    expect('image' in l.settings).toBe(false);
  });

  it('rejects malformed choices with a notice and the defaults', async () => {
    const bad: unknown[] = [
      'linux.img', null, [], { source: 'ftp', name: 'x', kind: 'disk' },
      { source: 'builtin', name: '', kind: 'disk' }, { source: 'builtin', name: 'a', kind: 'tape' },
      { source: 'url', url: 'javascript:alert(1)', kind: 'disk' }, { source: 'url', url: 'not a url', kind: 'disk' },
      { source: 'file', name: 'a.img', size: -1, lastModified: 0, kind: 'disk' },
      { source: 'file', name: 'a.img', size: 512, kind: 'disk' },
      { source: 'builtin', name: 'linux.img', kind: 'disk', extra: 1 },
    ];
    for (const image of bad) {
      expect(validateImage(image), JSON.stringify(image)).toBeTypeOf('string');
      await saveRawSettings({ ...BASE, image });
      const l = await loadSettings([]);
      expect(l.settings).toEqual(DEFAULT_SETTINGS);
      expect(l.notice).toMatch(/boot medium/);
    }
  });
});
