// The machine with the real chipset models and a scripted stand-in for the CPU core: debugcon
// output reaches console watchers, PAM writes through PCI configuration space reach the page
// map, 0xCF9 and port 0x92 reset the machine, PIT interrupts reach the CPU through the PIC,
// the PIT and the TSC read one clock, pause freezes virtual time, unclaimed ports are reported
// once and counted, serial ports become consoles, CMOS gets the IDE geometry; a triple fault
// resets (or stops, when configured); a halted CPU waits for its next timer instead of spinning.
import { afterEach, describe, expect, it } from 'vitest';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import { PhysKind, RunExit } from '../../src/machine/cpu-api.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import { MemoryBlock } from '../../src/block/memory.js';
import { ScriptedCore, scriptedCoreFactory, pciWrite, pciRead, type Step } from './scripted-core.js';

const BIOS = (() => {
  const b = new Uint8Array(0x40000);
  b.fill(0x90);
  b[0x3fff0] = 0xea;
  return b;
})();

const machines: Machine[] = [];
afterEach(async () => {
  for (const m of machines.splice(0)) await m.stop();
});

async function build(script: Step[], extra: Partial<Parameters<typeof createMachine>[0]> = {}) {
  let core!: ScriptedCore;
  const host = nodeMachineHost({ createCore: scriptedCoreFactory((c) => { core = c; c.script = script; }) });
  const m = await createMachine({ ramMiB: 32, bios: BIOS, ...extra }, host);
  machines.push(m);
  return { m, core };
}

const text = (s: string): Step[] => [...s].map((ch) => (h) => h.portWrite(0x402, 1, ch.charCodeAt(0)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(2);
  }
}

describe('Machine (scripted core, real chipset)', () => {
  it('builds the chipset from the registry and maps the BIOS', async () => {
    const { m, core } = await build([]);
    const names = m.devices.map((d) => d.type.name);
    for (const n of ['isa-i8259', 'isa-pit', 'mc146818rtc', 'i440FX-pcihost', 'PIIX3', 'isa-debugcon']) expect(names).toContain(n);
    expect(core.resets).toBe(1);
    expect(core.read8(0xffff0)).toBe(0xea);
    expect(core.read8(0xfffffff0)).toBe(0xea);
    expect(core.kind(0x100000)).toBe(PhysKind.Ram);
    // CMOS was filled as QEMU does: 32 MiB → 16 MiB above 16 MiB = 256 × 64 KiB.
    const cmos = (i: number) => { core.host.portWrite(0x70, 1, i); return core.host.portRead(0x71, 1); };
    expect(cmos(0x34) | (cmos(0x35) << 8)).toBe(256);
    expect(cmos(0x15) | (cmos(0x16) << 8)).toBe(640);
  });

  it('fills the CMOS hard-disk entries from the IDE drives (as QEMU pc_cmos_init_late)', async () => {
    const disk = MemoryBlock.blank(16 * 63 * 512 * 40); // 40 cylinders of 16 heads × 63 sectors
    const { core } = await build([], { devices: [{ type: 'piix3-ide', props: { hda: 'ide-hd' }, backend: { hda: disk } }], placement: 'monolithic' });
    const cmos = (i: number) => { core.host.portWrite(0x70, 1, i); return core.host.portRead(0x71, 1); };
    expect(cmos(0x12)).toBe(0xf0); // drive 0 present, type 15 → extended type at 0x19
    expect(cmos(0x19)).toBe(47);
    expect(cmos(0x1b) | (cmos(0x1c) << 8)).toBe(40);
    expect(cmos(0x1d)).toBe(16);
    expect(cmos(0x23)).toBe(63);
  });

  it('fills the CMOS disk geometry and floppy type byte for devices placed in workers (isolated)', async () => {
    const disk = MemoryBlock.blank(16 * 63 * 512 * 20);
    const floppy = MemoryBlock.blank(1474560);
    let core!: ScriptedCore;
    const host = nodeMachineHost({ createCore: scriptedCoreFactory((c) => { core = c; }), launcher: nodeWorkerLauncher() });
    const m = await createMachine({
      ramMiB: 16, bios: BIOS,
      devices: [
        { type: 'piix3-ide', props: { hda: 'ide-hd' }, backend: { hda: disk } },
        { type: 'isa-fdc', props: { fda: 'auto' }, backend: { fda: floppy } },
      ],
    }, host);
    machines.push(m);
    expect(m.device('piix3-ide.0')!.local).toBe(false);
    const cmos = (i: number) => { core.host.portWrite(0x70, 1, i); return core.host.portRead(0x71, 1); };
    expect(cmos(0x10)).toBe(0x40); // drive A: 1.44 MB 3.5", no drive B:
    expect(cmos(0x14) & 0xc1).toBe(0x01); // equipment byte: one floppy drive present
    expect(cmos(0x12)).toBe(0xf0);
    expect(cmos(0x1b) | (cmos(0x1c) << 8)).toBe(20);
    expect(cmos(0x1d)).toBe(16);
    expect(cmos(0x23)).toBe(63);
  });

  for (const placement of ['monolithic', 'isolated'] as const) {
    it(`serves the VGA window and BAR0 in the CPU thread (${placement})`, async () => {
      let core!: ScriptedCore;
      const host = nodeMachineHost({
        createCore: scriptedCoreFactory((c) => { core = c; }, { shared: true }),
        launcher: placement === 'isolated' ? nodeWorkerLauncher() : undefined,
      });
      const m = await createMachine({ ramMiB: 32, bios: BIOS, devices: [{ type: 'VGA' }], placement }, host);
      machines.push(m);
      expect(m.vgaWirings.length).toBe(1);
      const cpu = m.vgaWirings[0].cpu;
      const h = core.host;
      // Power-on: the window exits (MMIO), served by the CPU side, not the device.
      expect(core.kind(0xb8000)).toBe(PhysKind.Mmio);
      h.mmioWrite(0xb8000, 1, 0x41);
      expect(cpu.stats.writes).toBe(1);
      // Chain-4 with all planes, GR6 memory map 1 (A0000, 64 KiB): RAM pages onto the VRAM.
      h.portWrite(0x3c4, 2, 0x0e04);
      h.portWrite(0x3c4, 2, 0x0f02);
      h.portWrite(0x3ce, 2, 0x0506);
      expect(core.kind(0xa0000)).toBe(PhysKind.Ram);
      expect(core.kind(0xaf000)).toBe(PhysKind.Ram);
      expect(core.kind(0xb0000)).toBe(PhysKind.Mmio);
      cpu.vram[5] = 0x5a;
      expect(core.read8(0xa0005)).toBe(0x5a);
      // BAR0 (the linear framebuffer) decoded at 0xE0000000: RAM pages onto the same VRAM.
      pciWrite(h, 0x10, 0x10, 4, 0xe0000000);
      pciWrite(h, 0x10, 0x04, 2, 0x0003);
      expect(core.kind(0xe0000000)).toBe(PhysKind.Ram);
      expect(core.read8(0xe0000005)).toBe(0x5a);
      // Disabled decode: no RAM there any more. A reset restores the power-on window.
      pciWrite(h, 0x10, 0x04, 2, 0x0001);
      expect(core.kind(0xe0000000)).not.toBe(PhysKind.Ram);
      m.reset();
      expect(core.kind(0xa0000)).toBe(PhysKind.Mmio);
    });
  }

  it('delivers debugcon output to console watchers and reports a guest that halts for good', async () => {
    const { m } = await build(text('SeaBIOS (fake)\nNo bootable device.\n'));
    const stuck: string[] = [];
    m.events.on('stuck', (e) => stuck.push(e.reason));
    const match = await m.runUntilText('No bootable device.', 5000);
    expect(match.source).toBe('debugcon');
    await until(() => m.state === 'halted');
    expect(stuck).toEqual(['halted-forever']);
    expect(m.consoleText('debugcon')).toBe('SeaBIOS (fake)\nNo bootable device.\n');
    await expect(m.waitForText('never printed', { timeoutMs: 10 })).rejects.toThrow(/machine is halted/);
  });

  it('runs again after a reset of a machine that had stopped for good', async () => {
    const { m, core } = await build(text('a'));
    const stuck: string[] = [];
    m.events.on('stuck', (e) => stuck.push(e.reason));
    m.start();
    await until(() => m.state === 'halted');
    m.reset('user');
    expect(m.state).toBe('paused');
    expect(core.resets).toBe(2);
    core.script.push(...text('b'));
    await m.runUntilText('ab', 5000);
    await until(() => m.state === 'halted');
    expect(stuck).toEqual(['halted-forever', 'halted-forever']);
  });

  it('rejects a watcher after its timeout while the guest idles', async () => {
    const { m, core } = await build([(_h, c) => { c.interruptsEnabled = true; }]);
    void core;
    await expect(m.runUntilText('nothing', 50)).rejects.toThrow(/timed out/);
  });

  it('routes PAM writes through PCI configuration space to the page map, and resets through 0xCF9', async () => {
    const seen: PhysKind[] = [];
    const resets: string[] = [];
    const script: Step[] = [
      (h) => { expect(pciRead(h, 0, 0, 4)).toBe(0x12378086); },
      (h) => { expect(pciRead(h, 0x08, 0, 4)).toBe(0x70008086); },
      (_h, c) => { seen.push(c.kind(0xf0000)); },
      (h) => pciWrite(h, 0, 0x59, 1, 0x30),
      (_h, c) => { seen.push(c.kind(0xf0000)); },
      (h) => pciWrite(h, 0, 0x5a, 1, 0x11),
      (_h, c) => { seen.push(c.kind(0xc0000), c.kind(0xc4000)); },
      (h) => h.portWrite(0xcf9, 1, 0x06),
      (_h, c) => { seen.push(c.kind(0xf0000), c.kind(0xc0000)); },
      (h) => { expect(pciRead(h, 0, 0x59, 1)).toBe(0); },
      ...text('done'),
    ];
    const { m, core } = await build(script);
    m.events.on('reset', (e) => resets.push(e.reason));
    await m.runUntilText('done', 5000);
    expect(seen).toEqual([PhysKind.Rom, PhysKind.Ram, PhysKind.Rom, PhysKind.Rom, PhysKind.Rom, PhysKind.Rom]);
    expect(resets.length).toBe(1);
    expect(resets[0]).toMatch(/0xCF9/);
    expect(core.resets).toBe(2);
  });

  it('toggles A20 and resets through port 0x92', async () => {
    const a20: boolean[] = [];
    const script: Step[] = [
      (h) => h.portWrite(0x92, 1, 0x02),
      (_h, c) => { a20.push(c.a20); },
      (h) => h.portWrite(0x92, 1, 0x00),
      (_h, c) => { a20.push(c.a20); },
      (h) => h.portWrite(0x92, 1, 0x01),
      ...text('after'),
    ];
    const { m, core } = await build(script);
    const resets: string[] = [];
    m.events.on('reset', (e) => resets.push(e.reason));
    await m.runUntilText('after', 5000);
    expect(a20).toEqual([true, false]);
    expect(resets.length).toBe(1);
    expect(core.a20).toBe(true); // reset turns A20 back on
  });

  it('resets through the i8042 output-port pulse (command 0xFE) and gates A20 through it (0xD1)', async () => {
    const a20: boolean[] = [];
    const script: Step[] = [
      (h) => h.portWrite(0x64, 1, 0xd1), (h) => h.portWrite(0x60, 1, 0xdd), // write output port: A20 off
      (_h, c) => { a20.push(c.a20); },
      (h) => h.portWrite(0x64, 1, 0xd1), (h) => h.portWrite(0x60, 1, 0xdf), // A20 on
      (_h, c) => { a20.push(c.a20); },
      (h) => h.portWrite(0x64, 1, 0xfe), // pulse reset line
      ...text('back'),
    ];
    const { m, core } = await build(script, { devices: [{ type: 'i8042' }], placement: 'monolithic' });
    const resets: string[] = [];
    m.events.on('reset', (e) => resets.push(e.reason));
    await m.runUntilText('back', 5000);
    expect(a20).toEqual([false, true]);
    expect(resets.length).toBe(1);
    expect(core.resets).toBe(2);
  });

  it('resets on a triple fault by default (A20 back on, PAM back to ROM) and runs on', async () => {
    const seen: (PhysKind | boolean)[] = [];
    const script: Step[] = [
      (h) => h.portWrite(0x92, 1, 0x00), // A20 off
      (h) => pciWrite(h, 0, 0x59, 1, 0x30), // 0xF0000 shadow RAM read/write
      (_h, c) => { seen.push(c.a20, c.kind(0xf0000)); },
      () => RunExit.TripleFault,
      (_h, c) => { seen.push(c.a20, c.kind(0xf0000)); },
      ...text('alive'),
    ];
    const { m, core } = await build(script);
    const resets: string[] = [];
    const stuck: string[] = [];
    m.events.on('reset', (e) => resets.push(e.reason));
    m.events.on('stuck', (e) => stuck.push(e.reason));
    await m.runUntilText('alive', 5000);
    expect(seen).toEqual([false, PhysKind.Ram, true, PhysKind.Rom]);
    expect(stuck).toEqual(['triple-fault', 'halted-forever']); // the second: the script's end
    expect(resets).toEqual(['triple fault']);
    expect(core.resets).toBe(2);
  });

  it('stops with a report on a triple fault when configured to (onTripleFault: stop)', async () => {
    const { m, core } = await build([() => RunExit.TripleFault, ...text('never')], { onTripleFault: 'stop' });
    const stuck: string[] = [];
    m.events.on('stuck', (e) => stuck.push(e.reason));
    m.start();
    await until(() => m.state === 'halted');
    expect(stuck).toEqual(['triple-fault']);
    expect(core.resets).toBe(1);
    expect(m.consoleText('debugcon') ?? '').toBe('');
  });

  it('adds a second debug port at 0xE9 (isa-debugcon, iobase 0xe9) beside 0x402; other chipset types stay single', async () => {
    const script: Step[] = [
      (h) => { expect(h.portRead(0xe9, 1)).toBe(0xe9); },
      (h) => h.portWrite(0xe9, 1, 0x45), ...text('9'),
    ];
    const { m } = await build(script, { devices: [{ type: 'isa-debugcon', props: { iobase: 0xe9 } }] });
    await m.runUntilText('E9', 5000);
    expect(m.devices.filter((d) => d.type.name === 'isa-debugcon').map((d) => [d.id, d.local])).toEqual([['isa-debugcon.0', true], ['isa-debugcon.1', true]]);
    await expect(build([], { devices: [{ type: 'isa-pit' }] })).rejects.toThrow(/part of the chipset and always present/);
    await expect(build([], { devices: [{ type: 'isa-debugcon' }] })).rejects.toThrow(/0x402|conflict|overlap|claimed/i);
  });

  it('a halted CPU sleeps until the next timer instead of spinning', async () => {
    // PIT channel 0 in mode 2 at 100 Hz (divisor 11932), IRQ0 unmasked, then HLT with IF=1: the
    // loop must run about one slice per tick, not thousands, and spend its time waiting.
    const script: Step[] = [
      (h) => h.portWrite(0x20, 1, 0x11), (h) => h.portWrite(0x21, 1, 0x08),
      (h) => h.portWrite(0x21, 1, 0x04), (h) => h.portWrite(0x21, 1, 0x01),
      (h) => h.portWrite(0x21, 1, 0xfe),
      (h) => h.portWrite(0x43, 1, 0x34), (h) => h.portWrite(0x40, 1, 11932 & 0xff), (h) => h.portWrite(0x40, 1, 11932 >> 8),
      (_h, c) => { c.interruptsEnabled = true; return RunExit.Halted; },
    ];
    const { m, core } = await build(script);
    m.start();
    // The scripted guest never sends EOI: after the first IRQ0 only the PIT's own deadlines
    // wake the loop (100 per second).
    await until(() => core.vectors.length >= 1);
    const s0 = { ...m.loopStats };
    const t0 = performance.now();
    await sleep(300);
    const dt = performance.now() - t0;
    const s1 = m.loopStats;
    const slices = s1.slices - s0.slices;
    console.info(`halted: ${slices} slices, ${(s1.waitedMs - s0.waitedMs).toFixed(0)} ms waited in ${dt.toFixed(0)} ms`);
    expect(slices).toBeLessThan(dt); // a few per 10 ms tick (83 in 300 ms measured); a spinning loop runs thousands
    expect(s1.waits - s0.waits).toBeGreaterThan(0);
    expect(s1.waitedMs - s0.waitedMs).toBeGreaterThan(dt * 0.5); // mostly asleep
  });

  it('delivers PIT interrupts through the PIC to the CPU in virtual time', async () => {
    const script: Step[] = [
      // PIC: ICW1 edge/cascade/ICW4, ICW2 base 0x08, ICW3 slave on IR2, ICW4 8086; unmask IRQ0.
      (h) => h.portWrite(0x20, 1, 0x11), (h) => h.portWrite(0x21, 1, 0x08),
      (h) => h.portWrite(0x21, 1, 0x04), (h) => h.portWrite(0x21, 1, 0x01),
      (h) => h.portWrite(0x21, 1, 0xfe),
      // PIT channel 0, mode 2, divisor 1193 (1 ms).
      (h) => h.portWrite(0x43, 1, 0x34), (h) => h.portWrite(0x40, 1, 1193 & 0xff), (h) => h.portWrite(0x40, 1, 1193 >> 8),
      (_h, c) => { c.interruptsEnabled = true; return RunExit.Halted; },
    ];
    const { m, core } = await build(script);
    m.start();
    await until(() => core.vectors.length >= 1);
    expect(core.vectors[0]).toBe(0x08);
    expect(m.clock.now()).toBeGreaterThanOrEqual(1e6 * 0.99);
    // Without an EOI no further IRQ0 is delivered; after EOI the next tick arrives.
    await sleep(10);
    expect(core.vectors.length).toBe(1);
    core.host.portWrite(0x20, 1, 0x20);
    await until(() => core.vectors.length >= 2);
    expect(core.vectors[1]).toBe(0x08);
    expect(m.loopStats.waits).toBeGreaterThan(0);
  });

  it('drives the PIT and the TSC from the one virtual clock', async () => {
    let loadStart = 0;
    let loadEnd = 0;
    let machine: Machine | undefined;
    const script: Step[] = [
      (h) => h.portWrite(0x43, 1, 0x34), (h) => h.portWrite(0x40, 1, 0),
      (h) => { loadStart = machine!.clock.now(); h.portWrite(0x40, 1, 0); loadEnd = machine!.clock.now(); }, // ch0 mode 2, count 65536
      (_h, c) => { c.interruptsEnabled = true; return RunExit.Halted; },
    ];
    const { m, core } = await build(script);
    machine = m;
    m.start();
    await sleep(40);
    await m.pause();
    const now = m.clock.now();
    expect(core.tsc!()).toBe(now); // the core's TSC source is the machine clock (TSC_HZ ticks per second)
    core.host.portWrite(0x43, 1, 0x00); // latch channel 0
    const count = core.host.portRead(0x40, 1) | (core.host.portRead(0x40, 1) << 8);
    const elapsedTicks = (65536 - count) % 65536;
    // The count was loaded somewhere in [loadStart, loadEnd] of virtual time (the clock runs meanwhile).
    const ticks = (t: number) => ((now - t) * 1193182) / 1e9;
    expect(elapsedTicks).toBeGreaterThanOrEqual(Math.floor(ticks(loadEnd)) - 1);
    expect(elapsedTicks).toBeLessThanOrEqual(Math.ceil(ticks(loadStart)) + 1);
    // Frozen: the PIT does not move while paused.
    await sleep(20);
    core.host.portWrite(0x43, 1, 0x00);
    expect(core.host.portRead(0x40, 1) | (core.host.portRead(0x40, 1) << 8)).toBe(count);
  });

  it('runs the RTC on the same virtual clock as the PIT and the TSC', async () => {
    const { m, core } = await build([(_h, c) => { c.interruptsEnabled = true; }]);
    const rtcSeconds = () => {
      core.host.portWrite(0x70, 1, 0x00);
      const bcd = core.host.portRead(0x71, 1);        // register B defaults to BCD
      return (bcd >> 4) * 10 + (bcd & 15);
    };
    m.start();
    await sleep(20);
    await m.pause();
    const t1 = m.clock.now();
    const s1 = rtcSeconds();
    // Paused for longer than a second: virtual time is frozen, so is the RTC.
    await sleep(1100);
    expect(rtcSeconds()).toBe(s1);
    m.resume();
    await sleep(1300);
    await m.pause();
    const dt = (m.clock.now() - t1) / 1e9;             // virtual seconds that passed
    const advanced = (rtcSeconds() - s1 + 60) % 60;
    expect(dt).toBeGreaterThan(1);
    expect(advanced).toBeGreaterThanOrEqual(Math.floor(dt));
    expect(advanced).toBeLessThanOrEqual(Math.floor(dt) + 1);
    expect(core.tsc!()).toBe(m.clock.now());
  });

  it('freezes virtual time while paused', async () => {
    const { m } = await build([(_h, c) => { c.interruptsEnabled = true; }]);
    m.start();
    await sleep(20);
    await m.pause();
    expect(m.state).toBe('paused');
    const t = m.clock.now();
    expect(t).toBeGreaterThan(0);
    await sleep(30);
    expect(m.clock.now()).toBe(t);
    m.resume();
    await sleep(20);
    expect(m.clock.now()).toBeGreaterThan(t);
  });

  it('reports unclaimed ports once, counts them, and traces ports as consoles', async () => {
    const script: Step[] = [
      (h) => { expect(h.portRead(0x2f8, 1)).toBe(0xff); },
      (h) => { expect(h.portRead(0x2f8, 1)).toBe(0xff); },
      (h) => h.portWrite(0x80, 1, 0x42),
      (h) => h.portWrite(0x510, 2, 0x4241),
      ...text('x'),
    ];
    const { m } = await build(script, { tracePorts: [0x80, 0x510] });
    const unhandled: number[] = [];
    m.events.on('unhandled', (u) => unhandled.push(u.addr));
    await m.runUntilText('x', 5000);
    expect(unhandled).toContain(0x2f8);
    expect(unhandled.filter((p) => p === 0x2f8).length).toBe(1);
    expect(m.router.unhandledPortReads[0x2f8]).toBe(2);
    expect(m.consoleText('port:0x80')).toBe('B');
    expect(m.consoleText('port:0x510')).toBe('AB');
    expect(m.report().postCode).toBe(0x42);
  });
});

describe('Machine consoles on device byte streams', () => {
  it('connects an isa-serial port to a named console, both directions (monolithic)', async () => {
    const script: Step[] = [
      // 8N1 at 115200: DLAB, divisor 1, LCR 0x03; then transmit "OK".
      (h) => h.portWrite(0x3fb, 1, 0x80), (h) => h.portWrite(0x3f8, 1, 1), (h) => h.portWrite(0x3f9, 1, 0),
      (h) => h.portWrite(0x3fb, 1, 0x03),
      (h) => h.portWrite(0x3f8, 1, 0x4f), (h) => h.portWrite(0x3f8, 1, 0x4b),
      (_h, c) => { c.interruptsEnabled = true; return RunExit.Halted; },
    ];
    const { m, core } = await build(script, { devices: [{ type: 'isa-serial', console: 'serial0' }], placement: 'monolithic' });
    const match = await m.runUntilText('OK', 5000, ['serial0']);
    expect(match.source).toBe('serial0');
    m.sendConsole('serial0', 'z');
    await until(() => (core.host.portRead(0x3fd, 1) & 1) === 1);
    expect(core.host.portRead(0x3f8, 1)).toBe(0x7a);
  });

  it('starts the RTC at the configured wall-clock time, by default the host clock', async () => {
    const cmos = (core: ScriptedCore, reg: number) => { core.host.portWrite(0x70, 1, reg); return core.host.portRead(0x71, 1); };
    const a = await build([], { rtcStartEpochMs: Date.UTC(2026, 10, 23, 19, 48, 7) });
    // BCD, 24-hour (SeaBIOS and Linux read these): seconds, minutes, hours, day, month, year, century.
    expect([0, 2, 4, 7, 8, 9, 0x32].map((r) => cmos(a.core, r))).toEqual([0x07, 0x48, 0x19, 0x23, 0x11, 0x26, 0x20]);
    const b = await build([]);
    const year = 2000 + Number((cmos(b.core, 9)).toString(16));
    expect(year).toBe(new Date().getUTCFullYear());
  });

  it('connects an isa-serial port in a device worker to a named console, both directions (isolated)', async () => {
    const script: Step[] = [
      (h) => h.portWrite(0x3fb, 1, 0x80), (h) => h.portWrite(0x3f8, 1, 1), (h) => h.portWrite(0x3f9, 1, 0),
      (h) => h.portWrite(0x3fb, 1, 0x03),
      (h) => h.portWrite(0x3f8, 1, 0x4f), (h) => h.portWrite(0x3f8, 1, 0x4b),
      (_h, c) => { c.interruptsEnabled = true; return RunExit.Halted; },
    ];
    let core!: ScriptedCore;
    const host = nodeMachineHost({
      createCore: scriptedCoreFactory((c) => { core = c; c.script = script; }),
      launcher: nodeWorkerLauncher(),
    });
    const m = await createMachine({ ramMiB: 32, bios: BIOS, devices: [{ type: 'isa-serial', console: 'serial0' }] }, host);
    machines.push(m);
    expect(m.device('isa-serial.0')!.local).toBe(false);
    const match = await m.runUntilText('OK', 10_000, ['serial0']);
    expect(match.source).toBe('serial0');
    m.sendConsole('serial0', 'z');
    await until(() => (core.host.portRead(0x3fd, 1) & 1) === 1, 10_000);
    expect(core.host.portRead(0x3f8, 1)).toBe(0x7a);
  });
});
