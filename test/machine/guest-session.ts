// A guest on the real CPU core for the machine's milestone tests: builds a machine from the
// public/images boot media (raw disk through an in-memory overlay, ISO read-only, floppy
// through an overlay), connects COM1 to the 'serial0' console, and drives the serial shell the
// way test/images/qemu.ts drives QEMU (prompt `bulkhead:~# `, Enter = CR, escape sequences
// ignored). Every wait has a timeout; a failure names what it waited for and the serial tail.
import { existsSync } from 'node:fs';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import type { DeviceConfig, MachineConfig, Placement } from '../../src/machine/config.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import { FileBlock } from '../../src/node/file-block.js';
import { OverlayBlock } from '../../src/block/overlay.js';
import type { BlockBackend } from '../../src/block/api.js';
import { missingForBoot, readFirmware } from './firmware.js';
import { stripAnsi } from '../terminal.js';
import type { InputEventHub } from '../../src/devices/input/input-backend.js';

export const IMAGE_DIR = 'public/images';

/** Why the Linux/memtest boots cannot run here, or undefined. */
export function missingForGuest(...images: string[]): string | undefined {
  const m = missingForBoot();
  if (m) return m;
  for (const i of images) if (!existsSync(`${IMAGE_DIR}/${i}`)) return `${IMAGE_DIR}/${i} is missing (run \`npm run images\`)`;
  return undefined;
}

export interface GuestOptions {
  placement: Placement;
  hda?: string;
  cdrom?: string;
  fda?: string;
  boot?: MachineConfig['bootOrder'];
  vga?: boolean;
  ramMiB?: number;
  /** Adds an i8042 (PS/2 keyboard and mouse) whose host events come from this hub. */
  input?: InputEventHub;
}

async function overlay(path: string): Promise<BlockBackend> {
  return OverlayBlock.open(await FileBlock.open(path, { readOnly: true, kind: 'disk' }));
}

export class GuestSession {
  private cursor = 0;
  readonly started = performance.now();

  private constructor(readonly machine: Machine) {}

  static async create(o: GuestOptions): Promise<GuestSession> {
    const devices: DeviceConfig[] = [];
    if (o.vga) devices.push({ type: 'VGA' });
    if (o.hda || o.cdrom) {
      const props: Record<string, string> = {};
      const backend: Record<string, BlockBackend> = {};
      if (o.hda) { props.hda = 'ide-hd'; backend.hda = await overlay(`${IMAGE_DIR}/${o.hda}`); }
      if (o.cdrom) { props.hdc = 'ide-cd'; backend.hdc = await FileBlock.open(`${IMAGE_DIR}/${o.cdrom}`, { readOnly: true, kind: 'cdrom' }); }
      devices.push({ type: 'piix3-ide', props, backend });
    }
    if (o.fda) devices.push({ type: 'isa-fdc', props: { fda: 'auto' }, backend: { fda: await overlay(`${IMAGE_DIR}/${o.fda}`) } });
    if (o.input) devices.push({ type: 'i8042', backend: o.input });
    devices.push({ type: 'isa-serial', props: { index: 0 }, console: 'serial0' });
    const config: MachineConfig = {
      ramMiB: o.ramMiB ?? 128,
      bios: readFirmware('bios-256k.bin'),
      vgaBios: o.vga ? readFirmware('vgabios-stdvga.bin') : undefined,
      devices,
      placement: o.placement,
      bootOrder: o.boot,
    };
    const host = nodeMachineHost({ launcher: o.placement === 'isolated' ? nodeWorkerLauncher() : undefined });
    const m = await createMachine(config, host);
    return new GuestSession(m);
  }

  /** Serial output so far, escape sequences removed. */
  text(): string {
    return stripAnsi(this.machine.consoleText('serial0'));
  }

  elapsedS(): number {
    return (performance.now() - this.started) / 1000;
  }

  start(): void {
    if (this.machine.state === 'created' || this.machine.state === 'paused') this.machine.start();
  }

  /** Wait for `re` in the serial output after the cursor; moves the cursor past the match. */
  async expect(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const text = this.text();
      const rest = text.slice(this.cursor);
      const m = re.exec(rest);
      if (m) {
        this.cursor += m.index + m[0].length;
        return m;
      }
      const panic = /Kernel panic - not syncing[^\n]*/.exec(rest);
      const state = this.machine.state;
      const why = panic ? panic[0]
        : state === 'halted' || state === 'stopped' ? `machine ${state}`
        : performance.now() >= deadline ? `timed out after ${timeoutMs} ms` : undefined;
      if (why) {
        const r = this.machine.report();
        throw new Error(`waiting for ${re}: ${why} (${r.instructions} instructions, ${(r.virtualTimeNs / 1e9).toFixed(1)} s virtual, ${this.elapsedS().toFixed(1)} s host)\n--- serial output (tail) ---\n${text.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Type on the serial port as a terminal would (newline = Enter). */
  type(text: string): void {
    this.machine.sendConsole('serial0', text.replace(/\n/g, '\r'));
  }

  /** Wait for the marker and the shell prompt; returns the marker's rest and the host seconds. */
  async waitForShell(timeoutMs: number): Promise<{ marker: string; seconds: number }> {
    const m = await this.expect(/BULKHEAD-GUEST-READY ([^\r\n]*)\r?\n/, timeoutMs);
    const seconds = this.elapsedS();
    await this.expect(/bulkhead:[^\n]*# /, 120_000);
    return { marker: m[1].trim(), seconds };
  }

  /** Run one shell command; its output lines up to the next prompt. */
  async shell(command: string, timeoutMs = 120_000): Promise<string> {
    this.type(`${command}\n`);
    const m = await this.expect(/\n([\s\S]*?)bulkhead:[^\n]*# /, timeoutMs);
    return m[1];
  }

  async stop(): Promise<void> {
    await this.machine.stop();
  }
}
