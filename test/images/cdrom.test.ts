// test/images/cdrom.test.ts — boots public/images/linux.iso from the IDE CD-ROM (El Torito
// no-emulation ISOLINUX) in the reference QEMU and checks the guest: readiness marker on COM1,
// a working shell, and sr_mod + isofs from the initramfs reading the CD it booted from.
import { afterEach, describe, expect, it } from 'vitest';
import { image, QemuGuest, shell, waitForShell } from './qemu.js';

describe('linux.iso under QEMU', () => {
  let vm: QemuGuest | undefined;
  afterEach(async () => {
    await vm?.kill();
    vm = undefined;
  });

  it('boots from CD to a shell that evaluates $((6*7)) and mounts the CD', async () => {
    vm = new QemuGuest([
      '-drive', `file=${image('linux.iso')},format=raw,if=ide,index=2,media=cdrom,readonly=on`,
      '-boot', 'd',
    ]);
    await vm.expect(/ISOLINUX 6\.\d+/);
    const { marker, ms } = await waitForShell(vm);
    expect(marker).toMatch(/^\d+\.\d+\.\d+-\d+-686 i686$/);
    console.info(`linux.iso: BULKHEAD-GUEST-READY after ${ms} ms`);

    expect(await shell(vm, 'echo $((6*7))')).toMatch(/^42$/m);

    await shell(vm, 'dmesg -n 1');
    expect(await shell(vm, 'loadmods; echo "rc=$?"')).toMatch(/^loadmods: loaded: [^\n]*sr_mod [^\n]*isofs [^\n]*\nrc=0$/m);
    const ls = await shell(
      vm,
      'for i in 1 2 3 4 5; do [ -b /dev/sr0 ] && break; sleep 1; done; mount -t iso9660 -o ro /dev/sr0 /mnt && ls /mnt/isolinux',
    );
    for (const f of ['isolinux.bin', 'isolinux.cfg', 'ldlinux.c32', 'boot.cat']) expect(ls).toContain(f);
  }, 90_000);
});
