/**
 * Debugging tool (not a test): boots a Linux bzImage on the bare CPU core through the 32-bit
 * boot protocol (Documentation/x86/boot.rst: protected-mode kernel at 1 MiB, boot_params with
 * the setup header, e820 map and command line, flat __BOOT_CS/__BOOT_DS, ESI = boot_params).
 * Devices are minimal: a polled 16550 transmitter on 0x3F8 prints the kernel log; every other
 * port reads all-ones, so the kernel stops where it needs a timer interrupt. It exercises the
 * decompressor (about 2.5 billion instructions for Debian's 686 kernel), paging, the WP check
 * and early kernel initialisation without the rest of the platform.
 *
 *   npx tsx test/cpu/tools/linux-direct-boot.ts VMLINUZ [MILLION_INSTRUCTIONS=4000] [RAM_MIB=128]
 */
import { readFileSync } from 'node:fs';
import { CpuCore } from '../../../src/machine/cpu-core.js';
import { PhysKind } from '../../../src/machine/cpu-api.js';
import { computeLayout, WASM_PAGE } from '../../../src/machine/layout.js';

const [kernelPath, millions = '4000', ramArg = '128'] = process.argv.slice(2);
if (!kernelPath) { console.error('usage: linux-direct-boot.ts VMLINUZ [MILLION_INSTRUCTIONS] [RAM_MIB]'); process.exit(2); }
const ramMiB = Number(ramArg);
const L = computeLayout(ramMiB, 1, 1);
const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer } } }).WebAssembly;
const memory = new WA.Memory({ initial: L.totalBytes / WASM_PAGE, maximum: 65536, shared: true });
const ram = new Uint8Array(memory.buffer, L.ramOffset, L.ramSize);
const dv = new DataView(memory.buffer, L.ramOffset, L.ramSize);
const k = new Uint8Array(readFileSync(kernelPath));

const core = new CpuCore(new Uint8Array(readFileSync('build/core.wasm')), memory, {
  portRead: (p) => (p === 0x3fd ? 0x60 : p === 0x3fa ? 1 : 0xffffffff),
  portWrite: (p, _s, v) => { if (p === 0x3f8) process.stdout.write(String.fromCharCode(v & 0xff)); },
  portReadString: () => 0, portWriteString: () => 0,
  mmioRead: () => 0xffffffff, mmioWrite: () => {}, interruptAcknowledge: () => 0x20,
});
core.mapPhysical(0, L.ramSize, PhysKind.Ram, L.ramOffset);
core.setA20(true);

const setupSects = k[0x1f1] || 4;
ram.set(k.subarray((setupSects + 1) * 512), 0x100000);
const BP = 0x10000, CMD = 0x20000, GDT = 0x8000;
ram.set(k.subarray(0x1f1, 0x202 + k[0x201]), BP + 0x1f1);
ram[BP + 0x210] = 0xff;                    // type_of_loader: undefined
ram[BP + 0x211] |= 0x80;                   // CAN_USE_HEAP
dv.setUint16(BP + 0x224, 0xde00, true);    // heap_end_ptr
const cmd = 'console=ttyS0 earlyprintk=serial,ttyS0,115200 loglevel=8 nokaslr\0';
for (let i = 0; i < cmd.length; i++) ram[CMD + i] = cmd.charCodeAt(i);
dv.setUint32(BP + 0x228, CMD, true);
const e820: [number, number, number][] = [[0, 0x9fc00, 1], [0x100000, ramMiB * 1048576 - 0x100000, 1]];
ram[BP + 0x1e8] = e820.length;
e820.forEach(([a, s, t], i) => { const o = BP + 0x2d0 + i * 20; dv.setUint32(o, a, true); dv.setUint32(o + 8, s, true); dv.setUint32(o + 16, t, true); });
dv.setUint32(GDT + 0x10, 0x0000ffff, true); dv.setUint32(GDT + 0x14, 0x00cf9a00, true); // __BOOT_CS
dv.setUint32(GDT + 0x18, 0x0000ffff, true); dv.setUint32(GDT + 0x1c, 0x00cf9200, true); // __BOOT_DS

const e = core.exports;
e.reset();
e.setDescTable(0, GDT, 0x1f);
e.setCr(0, 0x11);
e.setSegFull(1, 0x10, 0, 0xffffffff, 0x1c09b);
for (const s of [0, 2, 3, 4, 5]) e.setSegFull(s, 0x18, 0, 0xffffffff, 0x1c093);
e.setReg(6, BP);
e.setReg(4, 0x9000);
e.setEip(0x100000);

const t0 = Date.now();
let exit = 0;
for (let i = 0; i < Number(millions); i++) {
  exit = core.run(1_000_000);
  if (exit !== 0) break;
}
const r = core.registers();
const secs = (Date.now() - t0) / 1000;
console.log(`\n[linux-direct-boot] exit ${exit} after ${core.instructionCount} instructions in ${secs.toFixed(1)} s ` +
  `(${(core.instructionCount / secs / 1e6).toFixed(1)} MIPS); CS:EIP ${r.cs.toString(16)}:${r.eip.toString(16)}`);
