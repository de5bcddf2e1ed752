// One QMP implementation, two ways in: the same conversation through `node bin/bulkhead.mjs
// --qmp stdio` (a child process, one JSON per line) and through machine.qmp() on a machine built
// from the same options gives the same answers and the same events in the same order (timestamps
// and taint times aside). Also: the greeting comes first, malformed lines get error answers,
// end of input exits 0, `quit` exits 0, a strict refusal exits 1 with the message on stderr.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/cli/main.js';
import { parseArgs } from '../../src/cli/options.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { createMachine } from '../../src/machine/machine.js';
import { parseQmpLine, type QmpEvent } from '../../src/qmp/protocol.js';
import { QMP_GREETING } from '../../src/qmp/dispatcher.js';
import { missingForBoot } from '../machine/firmware.js';

const why = missingForBoot() ?? (existsSync('public/images/manifest.json') ? undefined : 'public/images/manifest.json is missing (run `npm run images`)');

function runCli(args: string[], input: string[], closeInput = true): Promise<{ code: number | null; lines: unknown[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/bulkhead.mjs', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`CLI did not exit; stdout so far:\n${out}\nstderr:\n${err}`)); }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.split('\n').filter((l) => l).map((l) => JSON.parse(l) as unknown), stderr: err.split('\n').filter((l) => l && !l.startsWith('npm warn')).join('\n') });
    });
    child.stdin.write(input.map((l) => l + '\n').join(''));
    if (closeInput) child.stdin.end();
  });
}

/** Drop what legitimately differs between two runs: timestamps and taint times. */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'timestamp' && k !== 'time') out[k] = normalize(x);
    return out;
  }
  return v;
}

const ARGS = ['--qmp', 'stdio', '--paused', '--policy', 'warn', '--placement', 'monolithic', '--mem', '32',
  '--device', 'ne2k_isa,id=net0,irq=10', '--device', 'isa-serial,id=com1'];

const CONVERSATION = [
  '{"execute":"qmp_capabilities","id":1}',
  '{"execute":"query-status","id":2}',
  '{"execute":"query-security","id":"sec"}',
  '{"execute":"query-devices"}',
  '{"execute":"query-device-types"}',
  'this is not JSON',
  '[1,2]',
  '{"arguments":{}}',
  '{"execute":"query-status","arguments":[]}',
  '{"execute":"set-security-policy","arguments":{"policy":"strict"}}',
  '{"execute":"set-security-policy","arguments":{"policy":"bogus"}}',
  '{"execute":"device_add","arguments":{"driver":"ne2k_pci","id":"net1"}}',
  '{"execute":"device_add","arguments":{"driver":"e1000","colour":"blue"}}',
  '{"execute":"device_del","arguments":{"id":"com1"}}',
  '{"execute":"device_del","arguments":{"id":"net1"}}',
  '{"execute":"device_del","arguments":{"id":"nope"}}',
  '{"execute":"x-inject-fault","arguments":{"id":"isa-pit.0","fault":"crash"}}',
  '{"execute":"x-inject-fault","arguments":{"id":"com1","fault":"explode"}}',
  '{"execute":"no-such-command","id":99}',
  '{"execute":"cont"}',
  '{"execute":"query-status"}',
  '{"execute":"stop"}',
  '{"execute":"query-status"}',
  '{"execute":"system_reset"}',
  '{"execute":"set-security-policy","arguments":{"policy":"none"}}',
  '{"execute":"quit","id":"bye"}',
];

describe.skipIf(why !== undefined)(`QMP over stdio${why ? ` (skipped: ${why})` : ''}`, () => {
  it('answers a conversation exactly as machine.qmp does, events included, and exits 0 on quit', async () => {
    const cli = await runCli(ARGS, CONVERSATION);
    expect(cli.code).toBe(0);
    expect(cli.lines[0]).toEqual(QMP_GREETING);
    // The API: a machine from the same options, the same lines through parseQmpLine + machine.qmp.
    const m = await createMachine(buildConfig(parseArgs(ARGS)), nodeMachineHost());
    const apiLines: unknown[] = [QMP_GREETING, ...m.qmpEvents];
    m.events.on('qmp', (e) => apiLines.push(e));
    for (const line of CONVERSATION) {
      const p = parseQmpLine(line);
      apiLines.push('execute' in p ? await m.qmp(p) : p);
    }
    await m.stop();
    expect(normalize(cli.lines)).toEqual(normalize(apiLines));
    // Spot checks on what both said.
    const events = (cli.lines as QmpEvent[]).filter((l) => typeof l === 'object' && l !== null && 'event' in l).map((e) => e.event);
    expect(events).toEqual(['TAINTED', 'SECURITY_WARNING', 'TAINTED', 'SECURITY_WARNING', 'TAINTED', 'SECURITY_WARNING', 'DEVICE_DELETED', 'RESUME', 'STOP', 'RESET', 'POLICY_CHANGED', 'SHUTDOWN']);
    for (const e of cli.lines as QmpEvent[]) {
      if ('event' in e) expect(e.timestamp).toEqual({ seconds: expect.any(Number), microseconds: expect.any(Number) });
    }
    expect(cli.lines.at(-1)).toEqual({ return: {}, id: 'bye' });
    expect(cli.lines).toContainEqual({ error: { class: 'CommandNotFound', desc: 'The command no-such-command has not been found' }, id: 99 });
    expect(cli.lines).toContainEqual({ error: { class: 'GenericError', desc: "QMP input lacks member 'execute'" } });
    expect(cli.lines).toContainEqual({ return: { running: false, status: 'prelaunch' }, id: 2 });
    expect(cli.lines).toContainEqual({ return: { id: 'net1' } });
    expect(cli.stderr.split('\n')).toEqual([
      "bulkhead: warning: device 'net0' (ne2k_isa, network class) is not secure; use 'e1000' instead",
      'bulkhead: warning: placement is monolithic: device models run inside the CPU worker, not isolated',
      "bulkhead: warning: device 'net1' (ne2k_pci, network class) is not secure; use 'e1000' instead",
    ]);
  });

  it('end of input ends the session with exit 0; a strict refusal exits 1 before the greeting', async () => {
    const eof = await runCli(['--qmp', 'stdio', '--mem', '32'], ['{"execute":"query-status"}']);
    expect(eof.code).toBe(0);
    expect(eof.lines[0]).toEqual(QMP_GREETING);
    expect(eof.lines.at(-1)).toMatchObject({ return: { status: expect.stringMatching(/^(running|paused)$/) } });
    expect(eof.stderr).toBe('');

    const refused = await runCli(['--qmp', 'stdio', '--policy', 'reject', '--device', 'ne2k_pci', '--device', 'ne2k_isa'], []);
    expect(refused.code).toBe(1);
    expect(refused.lines).toEqual([]);
    expect(refused.stderr).toBe([
      "bulkhead: security policy 'strict' refuses to start this machine (2 reasons):",
      "  - device 'ne2k_pci.0' (ne2k_pci, network class) is not secure; use 'e1000' instead",
      "  - device 'ne2k_isa.0' (ne2k_isa, network class) is not secure; use 'e1000' instead",
    ].join('\n'));
  });
});
