// test/images/qemu.ts — runs a reference QEMU (qemu-system-i386, TCG) on the images from
// `npm run images`, with COM1 on stdio, so the image tests can tell an image fault from an
// emulator fault: whatever boots here and not in Bulkhead is Bulkhead's bug.
// The guest's serial output is collected, stripped of ANSI/VT100 control sequences (busybox's
// line editor sends a cursor-position query `ESC[6n` after every prompt; memtest86+ draws its
// screen with cursor addressing) and matched against expectations in order.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripAnsi } from '../terminal.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const IMAGES = join(ROOT, 'public/images');
export const QEMU = '/usr/bin/qemu-system-i386';

/** The longest any one boot may take before QEMU is killed. */
export const BOOT_LIMIT_MS = 60_000;

/** Path of an image in public/images/, failing clearly when `npm run images` has not run. */
export function image(name: string): string {
  const path = join(IMAGES, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npm run images\` first (npm test does)`);
  }
  return path;
}

/** A running QEMU whose serial port is read and written by the test. */
export class QemuGuest {
  private readonly child: ChildProcess;
  private raw = '';
  private cursor = 0;
  private exited: string | null = null;
  private readonly started = Date.now();
  private readonly watchdog: NodeJS.Timeout;
  private waiter: (() => void) | null = null;

  /** Starts QEMU with the common options plus `extra` (drives, boot order). */
  constructor(extra: string[]) {
    const args = [
      '-cpu', 'pentium2', '-m', '128',
      '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
      '-no-reboot', '-nic', 'none',
      // Our own firmware from public/images: bios-256k.bin and, through -L, vgabios-stdvga.bin.
      '-bios', image('bios-256k.bin'), '-L', IMAGES,
      ...extra,
    ];
    image('vgabios-stdvga.bin');
    this.child = spawn(QEMU, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('latin1');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => this.append(d));
    this.child.stderr!.on('data', (d: string) => this.append(d));
    this.child.on('error', (e) => this.finish(`failed to start ${QEMU}: ${e.message}`));
    this.child.on('exit', (code, signal) => this.finish(`QEMU exited (code ${code}, signal ${signal})`));
    this.watchdog = setTimeout(() => this.kill(), BOOT_LIMIT_MS);
  }

  private append(d: string): void {
    this.raw += d;
    this.waiter?.();
  }

  private finish(why: string): void {
    this.exited ??= why;
    clearTimeout(this.watchdog);
    this.waiter?.();
  }

  /** Milliseconds since QEMU was started. */
  elapsedMs(): number {
    return Date.now() - this.started;
  }

  /** Everything the guest printed so far, control sequences removed. */
  text(): string {
    return stripAnsi(this.raw);
  }

  /**
   * Waits until `re` matches the output printed after the previous match, and moves past it.
   * Rejects when QEMU exits, the kernel panics, or `timeoutMs` passes; the error shows the tail
   * of the output.
   */
  async expect(re: RegExp, timeoutMs = BOOT_LIMIT_MS): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.text();
      const rest = text.slice(this.cursor);
      const m = re.exec(rest);
      if (m) {
        this.cursor += m.index + m[0].length;
        return m;
      }
      const panic = /Kernel panic - not syncing[^\n]*/.exec(rest);
      const why = panic ? panic[0] : this.exited ?? (Date.now() >= deadline ? `timed out after ${timeoutMs} ms` : null);
      if (why) {
        throw new Error(`waiting for ${re}: ${why}\n--- serial output (tail) ---\n${text.slice(-3000)}`);
      }
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(250, Math.max(1, deadline - Date.now())));
        this.waiter = () => {
          clearTimeout(t);
          res();
        };
      });
      this.waiter = null;
    }
  }

  /** Types text on the serial port, as a terminal would (newline = Enter). */
  type(text: string): void {
    this.child.stdin!.write(text.replace(/\n/g, '\r'));
  }

  /** Kills QEMU (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    clearTimeout(this.watchdog);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const gone = new Promise<void>((res) => this.child.once('exit', () => res()));
      this.child.kill('SIGKILL');
      await gone;
    }
  }
}

/** Waits for the guest's readiness marker and its shell prompt on the serial console. */
export async function waitForShell(vm: QemuGuest): Promise<{ marker: string; ms: number }> {
  const m = await vm.expect(/BULKHEAD-GUEST-READY ([^\r\n]*)\r?\n/);
  const ms = vm.elapsedMs();
  await vm.expect(/bulkhead:[^\n]*# /);
  return { marker: m[1].trim(), ms };
}

/** Runs one shell command and returns its output lines (up to the next prompt). */
export async function shell(vm: QemuGuest, command: string, timeoutMs = 20_000): Promise<string> {
  vm.type(`${command}\n`);
  // The terminal echoes the command line; the output follows it and ends at the next prompt.
  const m = await vm.expect(/\n([\s\S]*?)bulkhead:[^\n]*# /, timeoutMs);
  return m[1];
}
