// test/images/build.test.ts — checks what `npm run images` (scripts/images/build.sh) left in
// public/images/: manifest.json describes every file truthfully (size, sha256, source
// packages, role), a second run does no work, and the initramfs is byte-reproducible from
// the cached Debian packages.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { image, IMAGES, ROOT } from './qemu.js';

interface ManifestPackage { name: string; version: string; arch: string }
interface ManifestFile {
  name: string; size: number; sha256: string; role: string; default: boolean;
  description: string; packages: ManifestPackage[]; pciId?: string;
  guest?: { kernelRelease: string; cmdline: string; marker: string };
}
const readManifest = () => JSON.parse(readFileSync(image('manifest.json'), 'utf8')) as { version: number; files: ManifestFile[] };

function runImages(): { status: number | null; out: string } {
  const r = spawnSync('bash', [join(ROOT, 'scripts/images/build.sh')], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('manifest.json', () => {
  it('lists every file in public/images with its true size and sha256', () => {
    const m = readManifest();
    expect(m.version).toBe(1);
    const onDisk = readdirSync(IMAGES).filter((f) => !f.startsWith('.') && f !== 'README.md' && f !== 'manifest.json').sort();
    expect(m.files.map((f) => f.name).sort()).toEqual(onDisk);
    for (const f of m.files) {
      const data = readFileSync(image(f.name));
      expect(f.size, f.name).toBe(data.length);
      expect(f.sha256, f.name).toBe(createHash('sha256').update(data).digest('hex'));
      expect(f.description.length, f.name).toBeGreaterThan(10);
      expect(f.packages.length, f.name).toBeGreaterThan(0);
      for (const p of f.packages) expect(p.version, `${f.name} ${p.name}`).toMatch(/^[\w.:~+-]+$/);
    }
  });

  it('marks the roles the UI offers: default disk, CD-ROM, floppy, firmware', () => {
    const byName = new Map(readManifest().files.map((f) => [f.name, f]));
    expect(byName.get('linux.img')).toMatchObject({ role: 'hard-disk', default: true });
    expect(byName.get('linux.iso')).toMatchObject({ role: 'cdrom' });
    expect(byName.get('floppy.img')).toMatchObject({ role: 'floppy' });
    expect(byName.get('bios-256k.bin')).toMatchObject({ role: 'bios', default: true });
    expect(byName.get('vgabios-stdvga.bin')).toMatchObject({ role: 'vgabios', default: true, pciId: '1234:1111' });
    const disk = byName.get('linux.img')!;
    expect(disk.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['busybox-static', 'syslinux-common']));
    const kernel = disk.packages.find((p) => p.name.startsWith('linux-image-'))!;
    expect(kernel.name).toBe(`linux-image-${disk.guest!.kernelRelease}`);
    expect(kernel.arch).toBe('i386');
    expect(disk.guest!.cmdline).toBe('console=tty0 console=ttyS0,115200 cryptomgr.notests');
    expect(byName.get('floppy.img')!.packages.map((p) => p.name)).toContain('memtest86+');
  });
});

describe('npm run images', () => {
  it('does no work when run again', () => {
    const first = runImages(); // brings everything up to date, if it was not already
    expect(first.status, first.out).toBe(0);
    const files = readManifest().files.map((f) => f.name).concat('manifest.json');
    const before = files.map((f) => statSync(join(IMAGES, f)).mtimeMs);
    const second = runImages();
    expect(second.status, second.out).toBe(0);
    expect(second.out).toMatch(/all images are up to date/);
    expect(second.out).not.toMatch(/building|downloading/);
    expect(files.map((f) => statSync(join(IMAGES, f)).mtimeMs)).toEqual(before);
  }, 300_000);

  it('builds a byte-reproducible initramfs (the one on linux.img)', () => {
    const disk = readManifest().files.find((f) => f.name === 'linux.img')!;
    const tree = (name: string) => {
      const p = disk.packages.find((q) => q.name === name || (name === 'kernel' && q.name.startsWith('linux-image-')))!;
      return join(ROOT, '.cache/images/pkgs', `${p.name}_${p.version.replace(/:/g, '%3a')}_${p.arch}`);
    };
    const tmp = mkdtempSync(join(tmpdir(), 'bulkhead-initrd-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
      delete env.SOURCE_DATE_EPOCH;
      const b = spawnSync('bash', [join(ROOT, 'scripts/images/mkinitramfs.sh'), tree('kernel'), tree('busybox-static'), join(tmp, 'rebuilt.img')], { encoding: 'utf8', env });
      expect(b.status, b.stderr).toBe(0);
      const c = spawnSync('mcopy', ['-n', '-i', `${image('linux.img')}@@${2048 * 512}`, '::/initrd.img', join(tmp, 'disk.img')], { encoding: 'utf8', env });
      expect(c.status, c.stderr).toBe(0);
      const rebuilt = readFileSync(join(tmp, 'rebuilt.img'));
      expect(rebuilt.length).toBeGreaterThan(500_000);
      expect(rebuilt.equals(readFileSync(join(tmp, 'disk.img')))).toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
