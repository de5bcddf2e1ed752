/**
 * `npx bulkhead`: runs a Bulkhead PC headless in Node. Console output (debugcon, traced
 * ports, later serial) goes to stdout or files; `--until TEXT` ends the run successfully as soon
 * as TEXT appears on any console; `--timeout S` ends it with an error. A guest that stops for
 * good (HLT with interrupts disabled, triple fault) is reported in one line. docs/cli.md.
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { createMachine, EXTRA_CHIPSET_TYPES, type Machine } from '../machine/machine.js';
import type { DeviceConfig, MachineConfig, MachineHost } from '../machine/config.js';
import type { DeviceProps } from '../devices/api.js';
import { deviceTypes, findDeviceType } from '../devices/registry.js';
import { nodeWorkerLauncher } from '../node/worker-launcher.js';
import { FileBlock } from '../node/file-block.js';
import { OverlayBlock } from '../block/overlay.js';
import type { BlockBackend } from '../block/api.js';
import type { BootDevice } from '../machine/config.js';
import { checkNetdevs, helpText, parseArgs, UsageError, type CliOptions, type DeviceOption } from './options.js';
import { nodeMachineHost } from './node-host.js';
import { typeDeviceProps } from '../machine/device-props.js';
import { SecurityRefusedError } from '../machine/security.js';
import { serveQmp } from './qmp-stdio.js';

function readImage(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = path.startsWith('public/images/') ? ' (build the images with `npm run images`)' : '';
    throw new UsageError(`cannot read ${what} '${path}': ${code ?? String(e)}${hint}`);
  }
}

function hex(n: number, w: number): string {
  return (n >>> 0).toString(16).padStart(w, '0');
}

/** One line describing where the CPU is. */
export function describeRegisters(r: Record<string, number>): string {
  const parts: string[] = [];
  if (r.cs !== undefined && r.eip !== undefined) parts.push(`CS:EIP=${hex(r.cs, 4)}:${hex(r.eip, 8)}`);
  for (const k of ['eax', 'ebx', 'ecx', 'edx', 'esp', 'eflags', 'cr0']) if (r[k] !== undefined) parts.push(`${k.toUpperCase()}=${hex(r[k], 8)}`);
  return parts.join(' ');
}

/** Check a --device against the registry and type its property values. */
export function resolveDevice(d: DeviceOption): DeviceConfig {
  const type = findDeviceType(d.type);
  const choices = deviceTypes.filter((t) => t.class !== 'chipset').map((t) => t.name).join(', ');
  if (!type) throw new UsageError(`--device: unknown device type '${d.type}' (available: ${choices})`);
  if (type.class === 'chipset' && !EXTRA_CHIPSET_TYPES.has(type.name)) throw new UsageError(`--device: '${d.type}' is part of the chipset and always present`);
  // `id=NAME` names the instance (as QEMU's -device); every other key is a typed property.
  const { id, ...raw } = d.props;
  if (id !== undefined && !/^[A-Za-z][A-Za-z0-9_.-]*$/.test(id)) throw new UsageError(`--device ${d.type}: id '${id}' is not an identifier`);
  let props: DeviceProps;
  try {
    props = typeDeviceProps(type, raw, `--device ${d.type}`);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return id === undefined ? { type: type.name, props } : { type: type.name, id, props };
}

const DEFAULT_BIOS = 'public/images/bios-256k.bin';
const DEFAULT_VGA_BIOS = 'public/images/vgabios-stdvga.bin';
const MANIFEST = 'public/images/manifest.json';

/** sha256 of every file in the image manifest, or undefined when there is no readable manifest. */
function manifestHashes(path = MANIFEST): Set<string> | undefined {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as { files?: { sha256?: unknown }[] };
    if (!Array.isArray(m.files)) return undefined;
    return new Set(m.files.map((f) => f.sha256).filter((h): h is string => typeof h === 'string').map((h) => h.toLowerCase()));
  } catch {
    return undefined;
  }
}

/**
 * Firmware that is not the manifest's (docs/security.md, "custom-firmware"): an image whose
 * sha256 is not in public/images/manifest.json; without a manifest, an image given explicitly
 * (--bios / --vga-bios other than the default path).
 */
export function customFirmware(images: { path: string; data: Uint8Array; isDefaultPath: boolean }[], manifestPath = MANIFEST): string[] {
  const hashes = manifestHashes(manifestPath);
  const out: string[] = [];
  for (const img of images) {
    const custom = hashes ? !hashes.has(createHash('sha256').update(img.data).digest('hex')) : !img.isDefaultPath;
    if (custom) out.push(basename(img.path));
  }
  return out;
}

function serialDevices(o: CliOptions): DeviceConfig[] {
  if (!o.serial) return [];
  return [{ type: 'isa-serial', props: { index: 0 }, console: 'serial0' }];
}

const BOOT_LETTERS: Record<string, BootDevice> = { a: 'floppy', c: 'disk', d: 'cdrom', n: 'network' };

/** Open a disk image: read-only file, guest writes into an in-memory overlay (QEMU -snapshot). */
async function openImage(path: string, what: string, kind: 'disk' | 'cdrom'): Promise<BlockBackend> {
  let file: FileBlock;
  try {
    file = await FileBlock.open(path, { readOnly: true, kind });
  } catch (e) {
    throw new UsageError(`cannot open ${what} '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
  return kind === 'cdrom' ? file : OverlayBlock.open(file);
}

/** Storage devices for --hda/--hdb/--cdrom/--fda (block backends; the isolated placement bridges them into the worker). */
async function storageDevices(o: CliOptions): Promise<DeviceConfig[]> {
  const out: DeviceConfig[] = [];
  if (!o.hda && !o.hdb && !o.cdrom && !o.fda) return out;
  if (o.hda || o.hdb || o.cdrom) {
    const props: DeviceProps = {};
    const backend: Record<string, BlockBackend> = {};
    if (o.hda) { props.hda = 'ide-hd'; backend.hda = await openImage(o.hda, 'disk image', 'disk'); }
    if (o.hdb) { props.hdb = 'ide-hd'; backend.hdb = await openImage(o.hdb, 'disk image', 'disk'); }
    if (o.cdrom) { props.hdc = 'ide-cd'; backend.hdc = await openImage(o.cdrom, 'CD-ROM image', 'cdrom'); }
    out.push({ type: 'piix3-ide', props, backend });
  }
  if (o.fda) out.push({ type: 'isa-fdc', props: { fda: 'auto' }, backend: { fda: await openImage(o.fda, 'floppy image', 'disk') } });
  return out;
}

/** The machine configuration of parsed options (reads the firmware; hashes it against the manifest). */
export function buildConfig(o: CliOptions): MachineConfig {
  const bios = readImage(o.bios, 'BIOS');
  let vgaBios: Uint8Array | undefined;
  const vgaExplicit = o.vgaBios !== DEFAULT_VGA_BIOS;
  try {
    vgaBios = new Uint8Array(readFileSync(o.vgaBios));
  } catch (e) {
    if (vgaExplicit) throw new UsageError(`cannot read VGA BIOS '${o.vgaBios}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  checkNetdevs(o);
  const devices = [...o.devices.map(resolveDevice), ...serialDevices(o)];
  // --screenshot / --screen-text need a display: the standard VGA unless one was given.
  if ((o.screenshot !== undefined || o.screenText) && !devices.some((d) => findDeviceType(d.type)?.class === 'display')) {
    devices.unshift({ type: 'VGA' });
  }
  // The VGA BIOS is used only with a display device (offered through fw_cfg).
  const vgaUsed = vgaBios !== undefined && devices.some((d) => findDeviceType(d.type)?.class === 'display');
  const firmware = [{ path: o.bios, data: bios, isDefaultPath: o.bios === DEFAULT_BIOS }];
  if (vgaUsed) firmware.push({ path: o.vgaBios, data: vgaBios!, isDefaultPath: !vgaExplicit });
  return {
    ramMiB: o.memMiB,
    bios,
    vgaBios,
    policy: o.policy,
    customFirmware: customFirmware(firmware),
    // --debugcon exports the guest's port 0x402 output (and that of any added debug port, e.g.
    // `--device isa-debugcon,iobase=0xe9`) to the host: each is an enabled debug port.
    debugPorts: o.debugcon !== undefined
      ? ['isa-debugcon.0', ...devices.filter((d) => d.type === 'isa-debugcon').map((d, i) => d.id ?? `isa-debugcon.${i + 1}`)]
      : [],
    tracePorts: o.tracePorts,
    onTripleFault: 'stop',
    devices,
    netdevs: o.netdevs.map((n) => (n.kind === 'switch' ? { id: n.id, kind: 'switch' as const } : { id: n.id, kind: 'websocket' as const, url: n.url! })),
    placement: o.placement,
    bootOrder: o.boot ? [...o.boot].map((l) => BOOT_LETTERS[l]) : undefined,
    onDeviceFailure: o.onDeviceFailure,
    readDeadlineMs: o.readDeadlineMs,
  };
}

/** Write bytes to stdout synchronously (so process exit never loses output). */
function stdoutWrite(bytes: Uint8Array | string): void {
  if (typeof bytes === 'string') writeSync(1, bytes);
  else writeSync(1, bytes);
}

/** Run the CLI; resolves to the process exit status. */
export async function main(argv: string[]): Promise<number> {
  let o: CliOptions;
  let config: MachineConfig;
  try {
    o = parseArgs(argv);
    if (o.help) {
      stdoutWrite(helpText() + '\n');
      return 0;
    }
    if (o.qmp === 'stdio' && (o.debugcon === 'stdout' || o.serial === 'stdout')) {
      throw new UsageError('--qmp stdio uses stdout for QMP: send --debugcon to a file, and --serial cannot be stdout');
    }
    config = buildConfig(o);
    config.devices = [...(config.devices ?? []), ...(await storageDevices(o))];
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bulkhead: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  let debugconFd: number | undefined;
  if (o.debugcon && o.debugcon !== 'stdout') {
    try {
      debugconFd = openSync(o.debugcon, 'w');
    } catch (e) {
      process.stderr.write(`bulkhead: cannot open debugcon file '${o.debugcon}': ${(e as NodeJS.ErrnoException).code}\n`);
      return 2;
    }
  }

  const host = nodeMachineHost({ launcher: o.placement === 'isolated' ? nodeWorkerLauncher() : undefined });
  // --netdev websocket: Node >= 22 has a global WebSocket (Node 20: --experimental-websocket).
  host.webSocket = (globalThis as { WebSocket?: MachineHost['webSocket'] }).WebSocket;
  let machine: Machine;
  try {
    machine = await createMachine(config, host);
  } catch (e) {
    if (e instanceof SecurityRefusedError) {
      process.stderr.write(`bulkhead: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`bulkhead: cannot build the machine: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }

  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let onSigint: (() => void) | undefined;
  const finish = await new Promise<number>((resolve) => {
    let done = false;
    const end = (code: number, message?: string) => {
      if (done) return;
      done = true;
      if (message) process.stderr.write(message + '\n');
      resolve(code);
    };
    machine.events.on('console', ({ source, bytes }) => {
      if (source === 'debugcon') {
        if (o.debugcon === 'stdout') stdoutWrite(bytes);
        else if (debugconFd !== undefined) writeSync(debugconFd, bytes);
      } else if (source === 'serial0' && o.serial === 'stdout') {
        stdoutWrite(bytes);
      } else if (source.startsWith('port:')) {
        if (o.traceHex) stdoutWrite([...bytes].map((b) => hex(b, 2)).join(' ') + '\n');
        else stdoutWrite(bytes);
      }
    });
    const qmpMode = o.qmp === 'stdio';
    let quitting = false;
    // Warnings (policy warn) go to stderr: those from the start first, then as they happen.
    for (const e of machine.qmpEvents) if (e.event === 'SECURITY_WARNING') process.stderr.write(`bulkhead: ${String(e.data?.message)}\n`);
    machine.events.on('security', (e) => {
      if (e.event === 'SECURITY_WARNING') process.stderr.write(`bulkhead: ${e.message}\n`);
    });
    // Under QMP the client decides what a stopped guest means; otherwise the run ends.
    machine.events.on('security-stop', ({ message }) => {
      if (!qmpMode) end(1, `bulkhead: ${message}`);
      else process.stderr.write(`bulkhead: ${message}\n`);
    });
    machine.events.on('stuck', ({ reason, registers }) => {
      const what = reason === 'halted-forever' ? 'guest halted with interrupts disabled' : 'triple fault';
      // After the pending reactions: text the guest printed in the slice that ended in this stop
      // has already resolved the --until watcher, and that match wins (exit 0).
      if (!qmpMode) setImmediate(() => end(1, `bulkhead: ${what} at ${describeRegisters(registers)}`));
    });
    machine.events.on('state', ({ state }) => {
      // After QMP quit the session ends once the answer is written (onEnd below).
      if (state === 'stopped' && !quitting) end(1, 'bulkhead: machine stopped');
    });
    machine.events.on('device', (e) => {
      if (e.kind === 'device-failed') {
        const msg = `bulkhead: device ${e.devices.join(', ')} failed (${e.cause}): ${e.detail}; response ${e.response}`;
        if (e.response === 'stop' && !qmpMode) end(1, msg);
        else process.stderr.write(msg + '\n');
      }
    });
    if (qmpMode) {
      serveQmp(machine, {
        input: process.stdin,
        writeLine: (line) => stdoutWrite(line + '\n'),
        onEnd: (reason) => {
          quitting = true;
          end(0, reason === 'eof' && o.verbose ? 'bulkhead: end of QMP input' : undefined);
        },
        // `quit` stops the machine before its answer is written: that 'stopped' is expected.
        beforeQuit: () => { quitting = true; },
      });
    }
    if (o.until !== undefined) {
      machine.waitForText(o.until).then(
        (m) => end(0, o.verbose ? `bulkhead: found ${JSON.stringify(m.text)} on ${m.source} after ${((performance.now() - started) / 1000).toFixed(2)} s` : undefined),
        () => {},
      );
    }
    if (o.timeoutS !== undefined) {
      timer = setTimeout(() => {
        const post = machine.report().postCode;
        const waiting = o.until !== undefined ? ` waiting for ${JSON.stringify(o.until)}` : '';
        end(1, `bulkhead: timeout after ${o.timeoutS} s${waiting} (${machine.report().instructions} instructions${post !== undefined ? `, last POST code 0x${hex(post, 2)}` : ''})`);
      }, o.timeoutS * 1000);
    }
    if (o.serial === 'stdout' && process.stdin.readable) {
      if (process.stdin.isTTY) process.stdin.setRawMode(true);
      process.stdin.on('data', (chunk: Buffer) => {
        // Ctrl-A x quits, as in QEMU's -serial mon:stdio.
        if (chunk.length === 2 && chunk[0] === 0x01 && chunk[1] === 0x78) end(0, 'bulkhead: quit');
        else machine.sendConsole('serial0', new Uint8Array(chunk));
      });
    }
    onSigint = () => end(130, 'bulkhead: interrupted');
    process.once('SIGINT', onSigint);
    if (!o.paused) machine.start();
  });
  if (timer) clearTimeout(timer);
  if (o.serial === 'stdout' || o.qmp === 'stdio') {
    if (o.serial === 'stdout' && process.stdin.isTTY) process.stdin.setRawMode(false);
    process.stdin.pause();
  }
  if (onSigint) process.off('SIGINT', onSigint);

  const report = machine.report();
  // Screen capture at the end of the run (at --until, at the timeout, or when the guest stopped).
  let screenFailed = false;
  if (o.screenshot !== undefined || o.screenText) {
    try {
      // Both placements: isolated, the display worker renders and answers a control call.
      if (o.screenshot !== undefined) {
        const png = await machine.screenshotPng();
        if (!png) throw new Error('the machine has no display device');
        writeFileSync(o.screenshot, png);
      }
      if (o.screenText) stdoutWrite((await machine.screenText()).replace(/\n?$/, '\n'));
    } catch (e) {
      process.stderr.write(`bulkhead: screen capture failed: ${e instanceof Error ? e.message : String(e)}\n`);
      screenFailed = true;
    }
  }
  await machine.stop();
  if (debugconFd !== undefined) closeSync(debugconFd);
  if (o.verbose) {
    process.stderr.write(`bulkhead: ${report.instructions} instructions, virtual time ${(report.virtualTimeNs / 1e9).toFixed(3)} s, host ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
    for (const d of report.devices) {
      process.stderr.write(`  ${d.id.padEnd(24)} reads ${d.reads} writes ${d.writes} bulk ${d.bulkBytes} B guest errors ${d.guestErrors}\n`);
    }
    if (report.unhandledPorts.length) {
      process.stderr.write(`  unclaimed ports: ${report.unhandledPorts.map((u) => `0x${hex(u.port, 4)} (r${u.reads}/w${u.writes})`).join(', ')}\n`);
    }
  }
  return finish === 0 && screenFailed ? 1 : finish;
}
