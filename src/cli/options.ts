/**
 * Command-line options of `npx bulkhead`: a table of option specs (name, argument, repeatable,
 * strict parser, help text) and a parser that rejects unknown options, missing arguments and
 * malformed numbers with one clear line. New options (--hda, --cdrom, --serial, --placement,
 * ...) are one entry in OPTION_SPECS and one field in CliOptions.
 */
import { parseSecurityPolicy } from '../security/policy.js';

/** A `--device TYPE[,prop=value...]` option, before validation against the registry. */
export interface DeviceOption {
  type: string;
  props: Record<string, string>;
}

/** A `--netdev KIND,id=ID[,url=URL]` option (QEMU's -netdev): a network backend NICs name with netdev=ID. */
export interface NetdevOption {
  kind: 'switch' | 'websocket';
  id: string;
  url?: string;
}

export interface CliOptions {
  bios: string;
  vgaBios: string;
  memMiB: number;
  /** 'stdout' or a file path; undefined = port 0x402 output is only watched for --until. */
  debugcon: string | undefined;
  tracePorts: number[];
  traceHex: boolean;
  until: string | undefined;
  timeoutS: number | undefined;
  devices: DeviceOption[];
  /** Network backends (--netdev, and the private switch of each --nic). */
  netdevs: NetdevOption[];
  /** Disk images: IDE primary master/slave, CD-ROM at secondary master, floppy A:. */
  hda: string | undefined;
  hdb: string | undefined;
  cdrom: string | undefined;
  fda: string | undefined;
  /** Boot order as QEMU's -boot letters (a floppy, c disk, d CD-ROM, n network). */
  boot: string | undefined;
  /** 'stdout': COM1 (isa-serial at 0x3F8, IRQ 4) as a console on stdin/stdout. */
  serial: 'stdout' | undefined;
  placement: 'isolated' | 'monolithic';
  onDeviceFailure: 'stop' | 'pause' | 'detach' | 'restart';
  readDeadlineMs: number | undefined;
  /** Write the display's picture as PNG to this file when the run ends. */
  screenshot: string | undefined;
  /** Print the display's text screen (80x25) to stdout when the run ends. */
  screenText: boolean;
  /** Print a short machine report at exit. */
  verbose: boolean;
  /** Security policy (docs/security.md); QEMU's accept/warn/reject spellings are accepted. */
  policy: 'none' | 'warn' | 'strict';
  /** 'stdio': QMP on stdin/stdout, one JSON object per line (docs/qmp.md). */
  qmp: 'stdio' | undefined;
  /** Do not start the guest (QEMU -S): QMP `cont` starts it. */
  paused: boolean;
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parse a whole decimal or 0x-prefixed hex integer; nothing else (no "12abc", no "1e3"). */
export function parseInteger(text: string, what: string): number {
  const t = text.trim();
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^[0-9]+$/.test(t)) v = parseInt(t, 10);
  else throw new UsageError(`${what}: '${text}' is not a whole number`);
  if (!Number.isSafeInteger(v)) throw new UsageError(`${what}: '${text}' is too large`);
  return v;
}

/** Parse a non-negative decimal number (seconds may be fractional: 2.5). */
export function parseDecimal(text: string, what: string): number {
  const t = text.trim();
  if (!/^[0-9]+(\.[0-9]+)?$/.test(t)) throw new UsageError(`${what}: '${text}' is not a number`);
  return Number(t);
}

function inRange(v: number, lo: number, hi: number, what: string): number {
  if (v < lo || v > hi) throw new UsageError(`${what}: ${v} is out of range (${lo}..${hi})`);
  return v;
}

function oneOf<T extends string>(v: string, choices: readonly T[], what: string): T {
  if ((choices as readonly string[]).includes(v)) return v as T;
  throw new UsageError(`${what}: '${v}' is not one of ${choices.join(', ')}`);
}

/** `TYPE[,prop=value...]`; values stay strings until checked against the type's properties. */
export function parseDevice(v: string): DeviceOption {
  const [type, ...rest] = v.split(',');
  if (!/^[A-Za-z0-9_.-]+$/.test(type)) throw new UsageError(`--device: '${type}' is not a device type name`);
  const props: Record<string, string> = {};
  for (const kv of rest) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--device ${type}: '${kv}' is not PROP=VALUE`);
    if (Object.prototype.hasOwnProperty.call(props, kv.slice(0, eq))) throw new UsageError(`--device ${type}: property '${kv.slice(0, eq)}' is given twice`);
    props[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { type, props };
}

/** `switch,id=ID` or `websocket,id=ID,url=ws://HOST[:PORT]/PATH`. */
export function parseNetdev(v: string): NetdevOption {
  const [kind, ...rest] = v.split(',');
  if (kind !== 'switch' && kind !== 'websocket') throw new UsageError(`--netdev: '${kind}' is not a netdev kind (switch, websocket)`);
  const kv: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`--netdev ${kind}: '${part}' is not KEY=VALUE`);
    const k = part.slice(0, eq);
    if (Object.prototype.hasOwnProperty.call(kv, k)) throw new UsageError(`--netdev ${kind}: '${k}' is given twice`);
    kv[k] = part.slice(eq + 1);
  }
  const allowed = kind === 'switch' ? ['id'] : ['id', 'url'];
  for (const k of Object.keys(kv)) if (!allowed.includes(k)) throw new UsageError(`--netdev ${kind}: unknown key '${k}' (keys: ${allowed.join(', ')})`);
  const id = kv.id;
  if (id === undefined) throw new UsageError(`--netdev ${kind}: id=ID is required`);
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(id)) throw new UsageError(`--netdev ${kind}: id '${id}' is not an identifier`);
  if (kind === 'switch') return { kind, id };
  const url = kv.url;
  if (url === undefined || !/^wss?:\/\/[^\s]+$/i.test(url)) throw new UsageError(`--netdev websocket: url=ws://... or wss://... is required`);
  return { kind, id, url };
}

/** Netdev ids must be unique and every NIC's netdev=ID must name one (checked before the machine is built). */
export function checkNetdevs(o: CliOptions): void {
  const ids = new Set<string>();
  for (const n of o.netdevs) {
    if (ids.has(n.id)) throw new UsageError(`--netdev: id '${n.id}' is used twice`);
    ids.add(n.id);
  }
  for (const d of o.devices) {
    const name = d.props.netdev;
    if (name !== undefined && name !== '' && !ids.has(name)) {
      throw new UsageError(`--device ${d.type}: netdev '${name}' is not defined (${ids.size ? `netdevs: ${[...ids].join(', ')}` : 'add --netdev switch,id=' + name})`);
    }
  }
}

interface OptionSpec {
  name: string;
  /** Argument placeholder for help; absent = a flag. */
  arg?: string;
  help: string;
  apply(o: CliOptions, value: string): void;
}

export const OPTION_SPECS: OptionSpec[] = [
  { name: 'bios', arg: 'FILE', help: 'system BIOS image (default public/images/bios-256k.bin)', apply: (o, v) => { o.bios = v; } },
  { name: 'vga-bios', arg: 'FILE', help: 'VGA BIOS image (default public/images/vgabios-stdvga.bin)', apply: (o, v) => { o.vgaBios = v; } },
  { name: 'mem', arg: 'MB', help: 'guest RAM in MiB, 16..1024 (default 128)', apply: (o, v) => { o.memMiB = inRange(parseInteger(v, '--mem'), 16, 1024, '--mem'); } },
  { name: 'debugcon', arg: 'stdout|FILE', help: 'write the debug console (port 0x402, SeaBIOS log; also 0xE9 with --device isa-debugcon,iobase=0xe9) to stdout or a file', apply: (o, v) => { o.debugcon = v; } },
  {
    name: 'trace-port', arg: 'PORT', help: 'print bytes the guest writes to PORT (repeatable; decimal or 0x hex)',
    apply: (o, v) => { o.tracePorts.push(inRange(parseInteger(v, '--trace-port'), 0, 0xffff, '--trace-port')); },
  },
  { name: 'trace-hex', help: 'print traced port bytes as hex instead of raw bytes', apply: (o) => { o.traceHex = true; } },
  { name: 'until', arg: 'TEXT', help: 'exit 0 as soon as TEXT appears on any console (debugcon, traced ports, serial)', apply: (o, v) => {
    if (v.length === 0) throw new UsageError('--until: TEXT must not be empty');
    o.until = v;
  } },
  { name: 'timeout', arg: 'S', help: 'exit 1 with a message after S seconds of host time', apply: (o, v) => {
    const s = parseDecimal(v, '--timeout');
    if (s <= 0) throw new UsageError('--timeout: must be more than 0 seconds');
    o.timeoutS = s;
  } },
  {
    name: 'device', arg: 'TYPE[,PROP=VALUE...]', help: 'add a device by registry name, e.g. isa-serial or VGA,vgamem_mb=16 (repeatable)',
    apply: (o, v) => { o.devices.push(parseDevice(v)); },
  },
  {
    name: 'netdev', arg: 'switch|websocket,id=ID[,url=URL]',
    help: 'network backend for NICs (--device e1000,netdev=ID): a private virtual switch with DHCP/gateway 10.0.2.2, or a WebSocket relay (one Ethernet frame per message; needs a global WebSocket, Node >= 22) (repeatable)',
    apply: (o, v) => { o.netdevs.push(parseNetdev(v)); },
  },
  {
    name: 'nic', arg: 'TYPE', help: 'shorthand: one NIC (e1000, ne2k_pci, ne2k_isa) on its own private switch with DHCP (repeatable)',
    apply: (o, v) => {
      const dev = parseDevice(v);
      let n = o.netdevs.length;
      while (o.netdevs.some((x) => x.id === `nic${n}`)) n++;
      o.netdevs.push({ kind: 'switch', id: `nic${n}` });
      if (dev.props.netdev !== undefined) throw new UsageError('--nic: the NIC gets its own netdev; use --netdev and --device for netdev=');
      o.devices.push({ type: dev.type, props: { ...dev.props, netdev: `nic${n}` } });
    },
  },
  { name: 'hda', arg: 'FILE', help: 'raw disk image as IDE primary master (guest writes stay in memory)', apply: (o, v) => { o.hda = v; } },
  { name: 'hdb', arg: 'FILE', help: 'raw disk image as IDE primary slave', apply: (o, v) => { o.hdb = v; } },
  { name: 'cdrom', arg: 'FILE', help: 'ISO image in an IDE CD-ROM at secondary master', apply: (o, v) => { o.cdrom = v; } },
  { name: 'fda', arg: 'FILE', help: 'floppy image in drive A: (isa-fdc)', apply: (o, v) => { o.fda = v; } },
  { name: 'boot', arg: 'ORDER', help: 'boot order, QEMU letters: a floppy, c disk, d CD-ROM, n network (e.g. dc)', apply: (o, v) => {
    if (!/^[acdn]{1,4}$/.test(v) || new Set(v).size !== v.length) throw new UsageError(`--boot: '${v}' is not an order of the letters a, c, d, n`);
    o.boot = v;
  } },
  { name: 'serial', arg: 'stdout', help: 'COM1 (isa-serial, 0x3F8/IRQ 4) on stdout/stdin; watched by --until', apply: (o, v) => {
    o.serial = oneOf(v, ['stdout'] as const, '--serial');
  } },
  { name: 'placement', arg: 'isolated|monolithic', help: 'run devices in per-class workers (default) or in the CPU thread', apply: (o, v) => {
    o.placement = oneOf(v, ['isolated', 'monolithic'] as const, '--placement');
  } },
  { name: 'on-device-failure', arg: 'stop|pause|detach|restart', help: 'what a failed isolated device does to the machine (default stop)', apply: (o, v) => {
    o.onDeviceFailure = oneOf(v, ['stop', 'pause', 'detach', 'restart'] as const, '--on-device-failure');
  } },
  { name: 'read-deadline', arg: 'MS', help: 'deadline of one read from an isolated device (default 5000)', apply: (o, v) => {
    o.readDeadlineMs = inRange(parseInteger(v, '--read-deadline'), 1, 600_000, '--read-deadline');
  } },
  { name: 'policy', arg: 'none|warn|strict', help: 'security policy: strict refuses not-secure devices and any taint (default none; accept/warn/reject also accepted)', apply: (o, v) => {
    try {
      o.policy = parseSecurityPolicy(v);
    } catch (e) {
      throw new UsageError(`--policy: ${(e as Error).message}`);
    }
  } },
  { name: 'qmp', arg: 'stdio', help: 'QMP on stdin/stdout: one JSON command per line in, one JSON answer or event per line out', apply: (o, v) => {
    o.qmp = oneOf(v, ['stdio'] as const, '--qmp');
  } },
  { name: 'paused', help: 'build the machine but do not start the guest (QEMU -S; QMP cont starts it)', apply: (o) => { o.paused = true; } },
  { name: 'screenshot', arg: 'FILE', help: 'when the run ends (--until, --timeout, exit), write the screen as PNG to FILE (adds a VGA if there is no display)', apply: (o, v) => { o.screenshot = v; } },
  { name: 'screen-text', help: 'when the run ends, print the text screen (80x25) to stdout (adds a VGA if there is no display)', apply: (o) => { o.screenText = true; } },
  { name: 'verbose', help: 'print a machine report (devices, I/O counts, unclaimed ports) at exit', apply: (o) => { o.verbose = true; } },
  { name: 'help', help: 'show this help', apply: (o) => { o.help = true; } },
];

export function defaultOptions(): CliOptions {
  return {
    bios: 'public/images/bios-256k.bin',
    vgaBios: 'public/images/vgabios-stdvga.bin',
    memMiB: 128,
    debugcon: undefined,
    tracePorts: [],
    traceHex: false,
    until: undefined,
    timeoutS: undefined,
    devices: [],
    netdevs: [],
    serial: undefined,
    hda: undefined,
    hdb: undefined,
    cdrom: undefined,
    fda: undefined,
    boot: undefined,
    placement: 'isolated',
    onDeviceFailure: 'stop',
    readDeadlineMs: undefined,
    screenshot: undefined,
    screenText: false,
    verbose: false,
    policy: 'none',
    qmp: undefined,
    paused: false,
    help: false,
  };
}

/** Parse argv (without node and script). Accepts `--opt value` and `--opt=value`. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const o = defaultOptions();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h') {
      o.help = true;
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}' (options start with --; see --help)`);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const spec = OPTION_SPECS.find((s) => s.name === name);
    if (!spec) throw new UsageError(`unknown option '--${name}' (see --help)`);
    let value = '';
    if (spec.arg) {
      if (eq >= 0) value = a.slice(eq + 1);
      else {
        if (i + 1 >= argv.length) throw new UsageError(`--${name} needs an argument ${spec.arg}`);
        value = argv[++i];
      }
    } else if (eq >= 0) {
      throw new UsageError(`--${name} takes no argument`);
    }
    spec.apply(o, value);
  }
  return o;
}

export function helpText(): string {
  const lines = [
    'Usage: npx bulkhead [options]',
    '',
    'Runs a Bulkhead PC (i440FX, SeaBIOS) headless in Node.',
    '',
    'Options:',
  ];
  const width = Math.max(...OPTION_SPECS.map((s) => s.name.length + (s.arg ? s.arg.length + 1 : 0))) + 4;
  for (const s of OPTION_SPECS) {
    const left = `--${s.name}${s.arg ? ' ' + s.arg : ''}`;
    lines.push(`  ${left.padEnd(width)}${s.help}`);
  }
  lines.push('', 'Networking (QEMU-shaped): --netdev switch,id=n0 --device e1000,netdev=n0, or --nic e1000; a NIC without netdev has no link.');
  lines.push('', 'Exit status: 0 when --until matched (or the machine stopped cleanly), 1 on timeout or a stuck guest, 2 on usage errors.');
  return lines.join('\n');
}
