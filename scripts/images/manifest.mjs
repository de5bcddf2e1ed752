// scripts/images/manifest.mjs — writes public/images/manifest.json for scripts/images/build.sh.
// Reads on stdin the facts build.sh resolved (lines `kernel_release=…`, `cmdline=…`,
// `host_syslinux=…`, `pkg=NAME VERSION ARCH`) and hashes the files in the output folder given
// as argv[2]. The schema is described in docs/images.md ("manifest.json").
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const outDir = process.argv[2];
const facts = { pkg: new Map() };
for (const line of readFileSync(0, 'utf8').split('\n')) {
  const eq = line.indexOf('=');
  if (eq < 0) continue;
  const k = line.slice(0, eq);
  const v = line.slice(eq + 1);
  if (k === 'pkg') {
    const [name, version, arch] = v.split(' ');
    facts.pkg.set(name, { name, version, arch });
  } else {
    facts[k] = v;
  }
}

/** A Debian package the file was made from, as {name, version, arch}. */
function pkg(name) {
  const p = facts.pkg.get(name);
  if (!p) throw new Error(`manifest: no version for package ${name}`);
  return { ...p };
}
const kernelPkg = [...facts.pkg.keys()].find((n) => n.startsWith('linux-image-'));
if (!kernelPkg) throw new Error('manifest: no kernel package');
// The syslinux installer of the build host writes ldlinux.sys and ldlinux.c32.
const hostSyslinux = { name: 'syslinux', version: facts.host_syslinux, arch: 'host', note: 'installer run on the build host; writes ldlinux.sys and ldlinux.c32' };
const guest = { kernelRelease: facts.kernel_release, cmdline: facts.cmdline, marker: 'BULKHEAD-GUEST-READY', console: 'ttyS0' };

// `default`: the file the machine uses for its role when the user picked nothing. The CD and
// the floppy are offered, not inserted: SeaBIOS tries the floppy before the hard disk.
const entries = [
  { name: 'bios-256k.bin', role: 'bios', default: true, packages: [pkg('seabios')],
    description: 'SeaBIOS 256 KiB image for the i440FX/PIIX PC (fw_cfg aware): mapped at 0xFFFC0000–0xFFFFFFFF, its last 128 KiB also at 0xE0000–0xFFFFF' },
  { name: 'vgabios-stdvga.bin', role: 'vgabios', default: true, pciId: '1234:1111', packages: [pkg('seabios')],
    description: 'SeaVGABIOS for the standard VGA with Bochs VBE (DISPI) extensions, PCI 1234:1111' },
  { name: 'vgabios-isavga.bin', role: 'vgabios', default: false, packages: [pkg('seabios')],
    description: 'SeaVGABIOS for the standard VGA with Bochs VBE extensions, ISA (no PCI ROM header)' },
  { name: 'vgabios-cirrus.bin', role: 'vgabios', default: false, pciId: '1013:00b8', packages: [pkg('seabios')],
    description: 'SeaVGABIOS for the Cirrus Logic CL-GD5446, PCI 1013:00b8' },
  { name: 'linux.img', role: 'hard-disk', default: true, format: 'raw', guest,
    packages: [pkg(kernelPkg), pkg('busybox-static'), pkg('syslinux-common'), hostSyslinux],
    description: `Debian i386 Linux ${facts.kernel_release} with a busybox initramfs: MBR, one FAT16 partition, SYSLINUX` },
  { name: 'linux.iso', role: 'cdrom', default: false, format: 'iso9660', guest,
    packages: [pkg(kernelPkg), pkg('busybox-static'), pkg('isolinux'), pkg('syslinux-common')],
    description: `Debian i386 Linux ${facts.kernel_release} with a busybox initramfs: ISO 9660, El Torito ISOLINUX, hybrid` },
  { name: 'floppy.img', role: 'floppy', default: false, format: 'raw',
    packages: [pkg('memtest86+'), hostSyslinux],
    description: 'memtest86+ (32-bit) on a 1.44 MB FAT12 floppy with SYSLINUX; its screen is mirrored on COM1' },
];

const files = entries.map((e) => {
  const path = join(outDir, e.name);
  const data = readFileSync(path);
  return {
    name: e.name,
    size: statSync(path).size,
    sha256: createHash('sha256').update(data).digest('hex'),
    ...e,
  };
});
process.stdout.write(JSON.stringify({ version: 1, files }, null, 2) + '\n');
