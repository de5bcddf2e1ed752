// Milestone boots on the real CPU core (issue 6): the Debian i386 guest of public/images
// reaches BULKHEAD-GUEST-READY on COM1 from linux.img (ide-hd) in both placements and its
// serial shell evaluates $((6*7)); its psmouse driver finds the i8042's PS/2 mouse and reads
// host movements from it; from linux.iso (ide-cd, boot order d) it loads its drivers,
// mounts its hard disk's FAT partition and a file written there survives a guest reboot
// (`reboot -f`, same machine: the in-memory block overlay is kept); memtest86+ boots from the
// floppy and starts testing; the marker is on the VGA text screen (screenText, tty0).
// The interpreter is slow and the CI box is shared: each boot has a generous timeout and the
// measured times are printed. A failure shows the serial tail.
import { afterEach, describe, expect, it } from 'vitest';
import { GuestSession, missingForGuest } from './guest-session.js';
import { InputEventHub } from '../../src/devices/input/input-backend.js';

// 600 s is plenty on an idle box (see docs/machine.md for measured times); a heavily shared
// one has needed ~720 s for the monolithic disk boot.
const BOOT_MS = 900_000;
const sessions: GuestSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
});

async function open(o: Parameters<typeof GuestSession.create>[0]): Promise<GuestSession> {
  const s = await GuestSession.create(o);
  sessions.push(s);
  s.start();
  return s;
}

/**
 * The guest's psmouse driver (Linux drivers/input/mouse/psmouse-base.c) finds the i8042's PS/2
 * mouse and identifies it by the IntelliMouse Explorer knock; a host movement of 10 right, 5
 * down then reaches /dev/input/mice as mousedev's 3-byte PS/2 packet 28 0a fb (no button, Y
 * negative = down, dx 10, dy -5).
 */
async function checkMouse(g: GuestSession, input: InputEventHub): Promise<void> {
  await g.shell('dmesg -n 1');
  const devices = await g.shell('modprobe psmouse && for i in 1 2 3 4 5 6 7 8 9 10; do grep -q Mouse /proc/bus/input/devices && break; sleep 1; done; grep "^N:" /proc/bus/input/devices');
  expect(devices).toContain('N: Name="ImExPS/2 Generic Explorer Mouse"');
  g.type('head -c 3 /dev/input/mice | od -An -tx1\n');
  // mousedev passes events only to readers that have it open: move until one is read
  const read = g.expect(/^\s*28 0a fb\s*$/m, 60_000);
  const mover = setInterval(() => input.mouseMove(10, 5, 0), 500);
  try {
    await read;
  } finally {
    clearInterval(mover);
  }
  await g.expect(/bulkhead:[^\n]*# /, 60_000);
}

// BULKHEAD_BOOT_TESTS=0 skips these boots (quick local runs of test/machine).
const off = process.env.BULKHEAD_BOOT_TESTS === '0' ? 'BULKHEAD_BOOT_TESTS=0' : undefined;
const linuxMissing = off ?? missingForGuest('linux.img', 'linux.iso', 'vgabios-stdvga.bin');
const floppyMissing = off ?? missingForGuest('floppy.img');

describe.skipIf(linuxMissing !== undefined)(`Linux guest${linuxMissing ? ` (skipped: ${linuxMissing})` : ''}`, () => {
  it('boots linux.img from ide-hd in the isolated placement to a serial shell that computes 42; the guest drives the PS/2 mouse', async () => {
    const input = new InputEventHub();
    const g = await open({ placement: 'isolated', hda: 'linux.img', input });
    expect(g.machine.device('piix3-ide.0')!.local).toBe(false);
    await g.expect(/SYSLINUX 6\.\d+/, BOOT_MS);
    const { marker, seconds } = await g.waitForShell(BOOT_MS);
    expect(marker).toMatch(/^\d+\.\d+\.\d+-\d+-686 i686$/);
    console.info(`linux.img isolated: BULKHEAD-GUEST-READY after ${seconds.toFixed(1)} s host, ${(g.machine.clock.now() / 1e9).toFixed(1)} s virtual`);
    expect(await g.shell('echo $((6*7))')).toMatch(/^42$/m);
    await checkMouse(g, input);
  }, BOOT_MS + 300_000);

  it('boots linux.img in the monolithic placement with a VGA and an i8042: 42 on serial, the marker on the tty0 text screen, the PS/2 mouse in the guest', async () => {
    const input = new InputEventHub();
    const g = await open({ placement: 'monolithic', hda: 'linux.img', vga: true, input });
    const { marker, seconds } = await g.waitForShell(BOOT_MS);
    expect(marker).toMatch(/-686 i686$/);
    console.info(`linux.img monolithic: BULKHEAD-GUEST-READY after ${seconds.toFixed(1)} s host, ${(g.machine.clock.now() / 1e9).toFixed(1)} s virtual`);
    expect(await g.shell('echo $((6*7))')).toMatch(/^42$/m);
    const screen = await g.machine.screenText();
    const lines = screen.split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(25);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(screen).toContain('BULKHEAD-GUEST-READY');
    const png = (await g.machine.screenshotPng())!;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await checkMouse(g, input);
  }, BOOT_MS + 300_000);

  it('boots linux.iso from ide-cd; a file written to its hard disk survives a guest reboot', async () => {
    const g = await open({ placement: 'isolated', hda: 'linux.img', cdrom: 'linux.iso', boot: ['cdrom', 'disk'] });
    const first = await g.waitForShell(BOOT_MS);
    console.info(`linux.iso isolated: BULKHEAD-GUEST-READY after ${first.seconds.toFixed(1)} s host`);
    await g.shell('dmesg -n 1');
    // No floppy controller in this machine: only `floppy` may fail (rc 1).
    expect(await g.shell('loadmods; echo "rc=$?"')).toMatch(/^loadmods: loaded: ata_piix sd_mod sr_mod [^\n]*?(; FAILED: floppy)?\nrc=[01]$/m);
    // The CD is the boot medium; the hard disk's FAT partition is readable.
    expect(await g.shell('for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda1 ] && break; sleep 1; done; head -c 3 /dev/sda1 | od -An -tx1')).toMatch(/^\s*eb [0-9a-f]{2} 90\s*$/m);
    const token = `bulkhead-${Date.now().toString(36)}`;
    expect(await g.shell(`mount -t vfat /dev/sda1 /mnt && echo ${token} > /mnt/persist.txt && umount /mnt && echo "written=$?"`)).toMatch(/^written=0$/m);
    // A forced reboot: the kernel resets the machine (keyboard controller / 0xCF9); the same
    // machine runs SeaBIOS and boots again, with the disk overlay as the guest left it.
    let resets = 0;
    g.machine.events.on('reset', () => resets++);
    g.type('reboot -f\n');
    const second = await g.waitForShell(BOOT_MS);
    expect(resets).toBeGreaterThanOrEqual(1);
    console.info(`linux.iso isolated: second boot to the marker after ${(second.seconds - first.seconds).toFixed(1)} s host`);
    await g.shell('dmesg -n 1');
    expect(await g.shell('loadmods; echo "rc=$?"')).toMatch(/^loadmods: loaded: ata_piix sd_mod /m);
    const back = await g.shell('for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda1 ] && break; sleep 1; done; mount -t vfat -o ro /dev/sda1 /mnt && cat /mnt/persist.txt');
    expect(back).toContain(token);
  }, 2 * BOOT_MS + 300_000);
});

describe.skipIf(floppyMissing !== undefined)(`memtest86+ floppy${floppyMissing ? ` (skipped: ${floppyMissing})` : ''}`, () => {
  it('boots memtest86+ from drive A: (isolated) and starts testing memory', async () => {
    const g = await open({ placement: 'isolated', fda: 'floppy.img', boot: ['floppy'] });
    await g.expect(/SYSLINUX 6\.\d+/, BOOT_MS);
    await g.expect(/Loading \/memtest\.bin\.+ ?ok/, BOOT_MS);
    const banner = await g.expect(/Memtest86\+ v(\d+\.\d+)\s/, BOOT_MS);
    console.info(`floppy.img isolated: memtest86+ v${banner[1]} after ${g.elapsedS().toFixed(1)} s host`);
    await g.expect(/Memory\s*:\s*12\dMB/, BOOT_MS);
    await g.expect(/#0\s+\[Address test, walking ones/, BOOT_MS);
    expect(g.text()).not.toMatch(/Errors:\s*[1-9]/);
  }, BOOT_MS + 120_000);
});
