// test/images/disk.test.ts — boots public/images/linux.img (the hard disk: mbr.bin, FAT16,
// SYSLINUX, Debian 686 kernel, busybox initramfs) in the reference QEMU and checks the guest:
// readiness marker on COM1 and on the screen, shells on ttyS0 and tty1, and the driver
// modules of the initramfs (loadmods: ata_piix, sd_mod, vfat… with their dependencies)
// reading the disk it booted from.
import { afterEach, describe, expect, it } from 'vitest';
import { image, QemuGuest, shell, waitForShell } from './qemu.js';

describe('linux.img under QEMU', () => {
  let vm: QemuGuest | undefined;
  afterEach(async () => {
    await vm?.kill();
    vm = undefined;
  });

  it('boots to a shell on the serial port that evaluates $((6*7)) and mounts its own disk', async () => {
    vm = new QemuGuest([
      '-drive', `file=${image('linux.img')},format=raw,if=ide,index=0,media=disk,snapshot=on`,
      '-boot', 'c',
    ]);
    await vm.expect(/SYSLINUX 6\.\d+/);
    const { marker, ms } = await waitForShell(vm);
    expect(marker).toMatch(/^\d+\.\d+\.\d+-\d+-686 i686$/);
    console.info(`linux.img: BULKHEAD-GUEST-READY after ${ms} ms`);

    expect(await shell(vm, 'echo $((6*7))')).toMatch(/^42$/m);
    // The marker also went to the screen (tty0 = tty1, read back through /dev/vcs1), and
    // busybox init keeps a shell on tty1 too.
    expect(await shell(vm, 'grep -c BULKHEAD-GUEST-READY /dev/vcs1')).toMatch(/^1$/m);
    expect(await shell(vm, 'ls -l /proc/[0-9]*/fd/0 | grep -c "/dev/tty1$"')).toMatch(/^[1-9]$/m);

    // Keep kernel messages off the console so they cannot interleave with command output.
    await shell(vm, 'dmesg -n 1');
    expect(await shell(vm, 'loadmods; echo "rc=$?"')).toMatch(/^loadmods: loaded: ata_piix sd_mod [^\n]*\nrc=0$/m);
    const ls = await shell(
      vm,
      'for i in 1 2 3 4 5; do [ -b /dev/sda1 ] && break; sleep 1; done; mount -t vfat -o ro /dev/sda1 /mnt && ls /mnt',
    );
    for (const f of ['syslinux.cfg', 'vmlinuz', 'initrd.img', 'ldlinux.sys']) expect(ls).toContain(f);
    expect(await shell(vm, 'grep -c "^  APPEND console=tty0 console=ttyS0,115200 cryptomgr.notests" /mnt/syslinux.cfg')).toMatch(/^2$/m);
  }, 90_000);
});
