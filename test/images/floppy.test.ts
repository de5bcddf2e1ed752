// test/images/floppy.test.ts — boots public/images/floppy.img (1.44 MB FAT12, SYSLINUX,
// memtest86+ 32-bit) from drive A: in the reference QEMU. memtest86+ mirrors its screen on
// COM1 (console=ttyS0,115200) with VT100 cursor addressing: the test waits for its title bar
// and for its first test to start running.
import { afterEach, describe, expect, it } from 'vitest';
import { image, QemuGuest } from './qemu.js';

describe('floppy.img under QEMU', () => {
  let vm: QemuGuest | undefined;
  afterEach(async () => {
    await vm?.kill();
    vm = undefined;
  });

  it('boots memtest86+ from drive A: and starts testing memory', async () => {
    vm = new QemuGuest([
      '-drive', `file=${image('floppy.img')},format=raw,if=floppy,index=0,snapshot=on`,
      '-boot', 'a',
    ]);
    await vm.expect(/SYSLINUX 6\.\d+/);
    await vm.expect(/Loading \/memtest\.bin\.+ ?ok/);
    const banner = await vm.expect(/Memtest86\+ v(\d+\.\d+)\s/);
    console.info(`floppy.img: memtest86+ v${banner[1]} banner after ${vm.elapsedMs()} ms`);
    // The memory size line (QEMU -m 128 minus what the BIOS reserves) and a running test.
    await vm.expect(/Memory\s*:\s*12\dMB/);
    await vm.expect(/#0\s+\[Address test, walking ones/);
    expect(vm.text()).not.toMatch(/Errors:\s*[1-9]/);
  }, 90_000);
});
