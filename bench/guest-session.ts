/**
 * What the boot benchmarks watch on a guest's consoles, the same for Bulkhead and the peer
 * emulator: the boot milestones (SeaBIOS "Booting from Hard Disk" on the debug port 0x402 or
 * the serial port, the SYSLINUX banner, the kernel's "Linux version" line, the image's
 * readiness marker, the first shell prompt after it), the time each first appeared, the last
 * serial line; and a small shell driver that types a command on the serial console and waits
 * for an end sentinel (so in-guest workloads run the same way on both emulators).
 */

/** The milestones, in boot order. `where`: which console carries it. */
export const MILESTONES = [
  { id: 'seabios-boot', text: 'Booting from Hard Disk', where: 'any', label: 'SeaBIOS "Booting from Hard Disk"' },
  { id: 'syslinux', text: 'SYSLINUX', where: 'serial', label: 'SYSLINUX banner' },
  { id: 'kernel', text: 'Linux version', where: 'serial', label: 'kernel "Linux version"' },
  { id: 'marker', text: 'BULKHEAD-GUEST-READY', where: 'serial', label: 'BULKHEAD-GUEST-READY' },
  { id: 'shell', text: 'bulkhead:~# ', where: 'serial', label: 'shell prompt' },
] as const;

export type MilestoneId = (typeof MILESTONES)[number]['id'];

/** Remove ANSI escape sequences (busybox sends ESC[6n after each prompt) and carriage returns. */
export function stripTerminal(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/** Latin-1 decoding of console bytes (what a serial line carries; never throws). */
export function bytesToText(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

type Waiter = { text: string; from: number; resolve: (at: number) => void };

/**
 * Console text with milestone times. feed() with the host time in ms since the run started.
 * Keeps the whole serial text (a boot writes a few hundred KiB at most).
 */
export class ConsoleRecorder {
  readonly times: Partial<Record<MilestoneId, number>> = {};
  serial = '';
  debug = '';
  private waiters: Waiter[] = [];
  /** Called whenever a milestone is first seen. */
  onMilestone: ((id: MilestoneId, atMs: number) => void) | undefined;

  feed(source: 'serial' | 'debug', text: string, atMs: number): void {
    if (source === 'serial') this.serial += text;
    else this.debug += text;
    for (const m of MILESTONES) {
      if (this.times[m.id] !== undefined) continue;
      if (m.id === 'shell' && this.times.marker === undefined) continue;
      const hay = m.where === 'serial' ? this.serial : this.serial + '\n' + this.debug;
      const from = m.id === 'shell' ? this.serial.indexOf('BULKHEAD-GUEST-READY') : 0;
      if (hay.indexOf(m.text, Math.max(0, from)) >= 0) {
        this.times[m.id] = atMs;
        this.onMilestone?.(m.id, atMs);
      }
    }
    if (source === 'serial' && this.waiters.length) {
      for (const w of [...this.waiters]) {
        if (this.serial.indexOf(w.text, w.from) >= 0) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(atMs);
        }
      }
    }
  }

  /** The last non-empty line of the serial console (escapes removed), at most 160 characters. */
  lastSerialLine(): string {
    const lines = stripTerminal(this.serial.slice(-4096)).split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    const l = lines.at(-1) ?? '';
    return l.length > 160 ? l.slice(0, 157) + '...' : l;
  }

  /** The last non-empty line of the debug port (SeaBIOS's log), at most 160 characters. */
  lastDebugLine(): string {
    const lines = this.debug.slice(-4096).split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    const l = lines.at(-1) ?? '';
    return l.length > 160 ? l.slice(0, 157) + '...' : l;
  }

  /** Resolve with the host time when `text` appears on serial after offset `from`. */
  waitSerial(text: string, from: number): Promise<number> {
    if (this.serial.indexOf(text, from) >= 0) return Promise.resolve(-1);
    return new Promise((resolve) => this.waiters.push({ text, from, resolve }));
  }

  /** Label of the first milestone up to `goal` not reached (what a timeout message names). */
  firstMissing(goal: MilestoneId): string {
    for (const m of MILESTONES) {
      if (this.times[m.id] === undefined) return m.id === 'marker' ? 'the marker BULKHEAD-GUEST-READY' : m.label;
      if (m.id === goal) break;
    }
    return MILESTONES.find((m) => m.id === goal)!.label;
  }

  /** The milestone reached last, if any. */
  lastMilestone(): MilestoneId | undefined {
    let last: MilestoneId | undefined;
    for (const m of MILESTONES) if (this.times[m.id] !== undefined) last = m.id;
    return last;
  }
}

/** What a shell driver needs from an emulator. */
export interface SerialLink {
  recorder: ConsoleRecorder;
  send(text: string): void;
  /** Host ms since the run started. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface CommandResult {
  /** Output between the echoed command and the end sentinel (escapes removed). */
  output: string;
  /** Exit status the shell printed. */
  status: number;
  /** Host ms from sending the command to seeing the end sentinel. */
  hostMs: number;
}

let sentinelCounter = 0;

/**
 * Type `cmd` into the guest shell and wait for it to finish. The end sentinel is printed as
 * `__BHE<n>__ <status>`; the typed line spells it with an empty quote pair inside, so the echo of
 * the command itself never matches.
 */
export async function runCommand(link: SerialLink, cmd: string, timeoutMs: number): Promise<CommandResult> {
  const n = ++sentinelCounter;
  const tag = `__BHE${n}__`;
  const typedTag = `__BHE""${n}__`;
  const from = link.recorder.serial.length;
  const t0 = link.now();
  link.send(`${cmd}; echo ${typedTag} $?\n`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`command timed out after ${timeoutMs / 1000} s: ${cmd}`)), timeoutMs);
  });
  try {
    await Promise.race([link.recorder.waitSerial(`${tag} `, from), timeout]);
    // The status digits follow the tag: wait until the line ends.
    const tagAt = link.recorder.serial.indexOf(`${tag} `, from);
    while (!/\n/.test(link.recorder.serial.slice(tagAt))) {
      if (link.now() - t0 > timeoutMs) throw new Error(`no end of line after ${tag}`);
      await link.sleep(5);
    }
    const hostMs = link.now() - t0;
    const text = stripTerminal(link.recorder.serial.slice(from));
    const tagPos = text.indexOf(`${tag} `);
    const status = parseInt(text.slice(tagPos + tag.length + 1), 10);
    const echoEnd = text.indexOf('\n');
    const output = text.slice(echoEnd >= 0 && echoEnd < tagPos ? echoEnd + 1 : 0, tagPos);
    return { output, status: Number.isFinite(status) ? status : -1, hostMs };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
