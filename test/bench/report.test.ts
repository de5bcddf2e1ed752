// The benchmark's formatting and parsing helpers (bench/report.ts, bench/parse-children.ts,
// bench/boot-sections.ts, bench/guest-session.ts, bench/guest-workloads.ts) on fake numbers and
// sample text. Nothing here is timed: benchmarks run only through `npm run bench`.
import { describe, expect, it } from 'vitest';
import {
  datedName, formatCell, formatNumber, median, naCell, ratioCell, reportJson, reportMarkdown, sectionMarkdown, valueCell, type BenchReport, type Section,
} from '../../bench/report.js';
import { parseChannelOutput, parseCpuOutput } from '../../bench/parse-children.js';
import { bootSections, type TargetRuns } from '../../bench/boot-sections.js';
import type { BootResult } from '../../bench/boot-common.js';
import { ConsoleRecorder, runCommand, stripTerminal, type SerialLink } from '../../bench/guest-session.js';
import { parseDdRate, randomReadLoop } from '../../bench/guest-workloads.js';

describe('report helpers', () => {
  it('takes medians of odd and even lists and refuses an empty one', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('makes value cells from finite runs only, and n/a when none is left', () => {
    const c = valueCell([10, NaN, 30, 20], 's');
    expect(c).toEqual({ kind: 'value', median: 20, runs: [10, 30, 20], unit: 's', digits: undefined });
    expect(valueCell([NaN], 's', undefined, 'timed out')).toEqual({ kind: 'na', reason: 'timed out' });
  });

  it('computes ratios only between two values', () => {
    const r = ratioCell(valueCell([30], 's'), valueCell([10], 's'));
    expect(r.kind === 'value' && r.median).toBe(3);
    expect(ratioCell(naCell('x'), valueCell([1], 's')).kind).toBe('na');
    expect(ratioCell(valueCell([1], 's'), valueCell([0], 's')).kind).toBe('na');
  });

  it('formats numbers to about three significant digits', () => {
    expect(formatNumber(1234.6)).toBe('1235');
    expect(formatNumber(123.4)).toBe('123');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(0.01234)).toBe('0.012');
    expect(formatNumber(2, 2)).toBe('2.00');
  });

  it('numbers n/a reasons as footnotes, once per distinct reason', () => {
    const notes: string[] = [];
    expect(formatCell(naCell('a'), notes)).toBe('n/a [1]');
    expect(formatCell(naCell('b'), notes)).toBe('n/a [2]');
    expect(formatCell(naCell('a'), notes)).toBe('n/a [1]');
    expect(formatCell(valueCell([1, 2, 3], 'MB/s'), notes)).toBe('2.00 MB/s (3 runs)');
    expect(formatCell(ratioCell(valueCell([3], 's'), valueCell([2], 's')), notes)).toBe('1.50×');
  });

  it('renders a section as a markdown table with escaped cells and footnotes', () => {
    const s: Section = {
      title: 'T',
      columns: ['a', 'b'],
      rows: [{ label: 'x|y', cells: [valueCell([5], 's'), naCell('did not reach the marker; last serial line: "a | b"')] }],
      notes: ['a note'],
    };
    const md = sectionMarkdown(s);
    expect(md.split('\n').slice(0, 5)).toEqual([
      '### T',
      '',
      '| figure | a | b |',
      '| --- | ---: | ---: |',
      '| x\\|y | 5.00 s | n/a [1] |',
    ]);
    expect(md).toContain('[1] did not reach the marker; last serial line: "a \\| b"');
    expect(md).toContain('a note');
  });

  it('writes the whole report as markdown and JSON with the machine header', () => {
    const r: BenchReport = {
      meta: {
        date: '2026-11-23T19:00:00.123Z', gitCommit: 'abc123', gitDirty: true, mode: 'quick', runs: 1, bootTimeoutS: 300, elapsedS: 90,
        machine: { cpuModel: 'Fake CPU', cores: 2, memoryGiB: 24, loadAverage: [1, 2, 3], node: 'v20.0.0', os: 'Linux' },
        packages: { v86: '0.5.1' },
      },
      sections: [{ title: 'S', columns: ['c'], rows: [{ label: 'r', cells: [valueCell([Infinity, 1], 'x')] }], notes: [] }],
      raw: { weird: NaN },
    };
    const md = reportMarkdown(r);
    expect(md).toContain('Fake CPU, 2 cores, 24.0 GiB RAM');
    expect(md).toContain('git commit abc123 (work tree has uncommitted changes)');
    expect(md).toContain('v86 0.5.1');
    const j = JSON.parse(reportJson(r)) as { raw: { weird: unknown }; sections: Section[] };
    expect(j.raw.weird).toBeNull();
    expect(j.sections[0].rows[0].cells[0]).toMatchObject({ kind: 'value', median: 1 });
    expect(datedName(r.meta.date, 'json')).toBe('bench-2026-11-23T19-00-00Z.json');
  });
});

describe('parsing the other benchmarks', () => {
  it('reads bench:cpu rows by its header, FAILED rows become n/a', () => {
    const s = parseCpuOutput([
      'workload                   MIPS wall  MIPS cpu-time  (median of 5; cpu-time = per second of CPU time)',
      'integer loop                   106.2          107.6  ',
      'rep movsd 64 KiB                 4.6            4.6  32886 MB/s',
      'x87 loop                      FAILED                 ',
    ].join('\n'));
    expect(s.columns).toEqual(['Bulkhead, MIPS wall', 'Bulkhead, MIPS cpu-time', 'also']);
    expect(s.rows.map((r) => r.label)).toEqual(['integer loop', 'rep movsd 64 KiB', 'x87 loop']);
    expect(s.rows[0].cells[0]).toMatchObject({ kind: 'value', median: 106.2, unit: 'MIPS' });
    expect(s.rows[0].cells[1]).toMatchObject({ kind: 'value', median: 107.6 });
    expect(s.rows[1].cells[2]).toEqual({ kind: 'text', text: '32886 MB/s' });
    expect(s.rows[2].cells[0]).toEqual({ kind: 'na', reason: 'x87 loop: FAILED' });
    expect(s.rows[2].cells[1].kind).toBe('na');
    expect(s.notes[0]).toContain('median of 5');
  });

  it('reads the older one-column bench:cpu table', () => {
    const s = parseCpuOutput('workload    MIPS (median of 5)\ninteger loop   123.4  \n');
    expect(s.columns).toEqual(['Bulkhead, MIPS', 'also']);
    expect(s.rows[0].cells[0]).toMatchObject({ median: 123.4 });
  });

  it('reads bench:channel Node and Chromium figures and keeps other lines as notes', () => {
    const s = parseChannelOutput([
      'device channel benchmark (Node v20.19.0)',
      '                         isolated      monolithic',
      'sync read (median µs)         25.10         0.120',
      'posted writes (M/s)            8.00         30.00',
      'local read, raw (ns)           12.3   (the model called directly, no guard)',
      'shadow / guarded local   1.20   shadow / raw local 2.00  (goal ≤ 2)',
      '',
      'Chromium (CPU worker -> console worker, isa-serial)',
      'sync read (median µs)          6.10   (goal ≤ 10)',
    ].join('\n'));
    const sync = s.rows.find((r) => r.label === 'sync read')!;
    expect(sync.cells[0]).toMatchObject({ median: 25.1, unit: 'µs' });
    expect(sync.cells[1]).toMatchObject({ median: 0.12 });
    expect(sync.cells[2]).toMatchObject({ median: 6.1 });
    const raw = s.rows.find((r) => r.label === 'local read, raw')!;
    expect(raw.cells[0]).toMatchObject({ median: 12.3, unit: 'ns' });
    expect(raw.cells[1].kind).toBe('na');
    expect(s.notes.some((n) => n.startsWith('shadow / guarded local'))).toBe(true);
  });
});

function fakeRun(over: Partial<BootResult>): BootResult {
  return {
    emulator: 'bulkhead', variant: 'monolithic', ok: true, milestones: {}, lastSerialLine: '', hostSeconds: 10, cpuSeconds: 5,
    memory: { baselineRss: 100 << 20, peakRss: 300 << 20, peakHeapUsed: 20 << 20, peakExternal: 0, guestRam: 128 << 20 }, info: {}, ...over,
  };
}

describe('boot sections', () => {
  it('gives medians per milestone, ratios, and the last serial line when the marker was missed', () => {
    const all: TargetRuns[] = [
      { target: { key: 'iso', emulator: 'bulkhead', variant: 'isolated', title: 'Bulkhead isolated' }, notes: [], runs: [
        fakeRun({ variant: 'isolated', ok: false, failure: 'did not reach shell prompt within 300 s', lastSerialLine: '[ 40.3] evm: HMAC attrs: 0x1', milestones: { kernel: 60 }, instructions: 3e9, hostSeconds: 300 }),
      ] },
      { target: { key: 'mono', emulator: 'bulkhead', variant: 'monolithic', title: 'Bulkhead monolithic' }, notes: [], runs: [
        fakeRun({ ok: false, failure: 'did not reach shell prompt within 300 s', milestones: { kernel: 40 } }),
        fakeRun({ milestones: { kernel: 50 } }),
      ] },
      { target: { key: 'v86', emulator: 'v86', variant: 'jit', title: 'v86 (JIT)' }, notes: [], runs: [
        fakeRun({ emulator: 'v86', variant: 'jit', milestones: { kernel: 10, marker: 100, shell: 101 }, storage: { loadmods: { ok: true, output: '', hostMs: 1 }, outputs: {}, seqMBps: 40 } }),
      ] },
    ];
    const [boot, memory, storage, network] = bootSections(all, 300);
    expect(boot.columns).toEqual(['Bulkhead isolated', 'Bulkhead monolithic', 'v86 (JIT)', 'isolated ÷ monolithic', 'isolated ÷ v86', 'monolithic ÷ v86']);
    const kernel = boot.rows.find((r) => r.label.includes('Linux version'))!;
    expect(kernel.cells[1]).toMatchObject({ median: 45, runs: [40, 50] });
    expect(kernel.cells[3]).toMatchObject({ median: 60 / 45 });
    expect(kernel.cells[5]).toMatchObject({ median: 4.5 });
    const marker = boot.rows.find((r) => r.label.includes('BULKHEAD-GUEST-READY'))!;
    expect(marker.cells[0]).toMatchObject({ kind: 'na' });
    expect(marker.cells[0].kind === 'na' && marker.cells[0].reason).toContain('last serial line: "[ 40.3] evm: HMAC attrs: 0x1"');
    expect(marker.cells[2]).toMatchObject({ median: 100 });
    const mips = boot.rows.find((r) => r.label.startsWith('effective MIPS'))!;
    expect(mips.cells[0]).toMatchObject({ median: 10 });
    const beyond = memory.rows.find((r) => r.label === 'peak RSS beyond guest RAM')!;
    expect(beyond.cells[1]).toMatchObject({ median: 172 });
    const seq = storage.rows[0];
    expect(seq.cells[0].kind === 'na' && seq.cells[0].reason).toContain('guest does not reach a shell yet');
    expect(seq.cells[2]).toMatchObject({ median: 40 });
    expect(network.rows[0].cells.every((c) => c.kind === 'na')).toBe(true);
  });
});

describe('storage figures', () => {
  it('gives the net random-read rate only when the disk loop stands out of the /dev/zero loop', () => {
    const storage = (raw: number, net: number) => ({ loadmods: { ok: true, output: '', hostMs: 1 }, outputs: {}, seqMBps: 9, randReadsPerS: raw, randReadsPerSNet: net });
    const all: TargetRuns[] = [
      { target: { key: 'iso', emulator: 'bulkhead', variant: 'isolated', title: 'Bulkhead isolated' }, notes: [], runs: [fakeRun({ storage: storage(30, 4500) })] },
      { target: { key: 'v86', emulator: 'v86', variant: 'jit', title: 'v86 (JIT)' }, notes: [], runs: [fakeRun({ emulator: 'v86', storage: storage(6, 27) })] },
    ];
    const storageSection = bootSections(all, 300)[2];
    const net = storageSection.rows.find((r) => r.label.includes('net of'))!;
    expect(net.cells[0].kind === 'na' && net.cells[0].reason).toContain('within noise');
    expect(net.cells[1]).toMatchObject({ median: 27 });
    const raw = storageSection.rows.find((r) => r.label.includes('incl. fork/exec'))!;
    expect(raw.cells[2]).toMatchObject({ median: 5 });
  });
});

describe('console recorder and workloads', () => {
  it('records milestones in order, the shell only after the marker', () => {
    const r = new ConsoleRecorder();
    r.feed('debug', 'Booting from Hard Disk...\n', 1);
    r.feed('serial', 'bulkhead:~# early prompt\nSYSLINUX 6.04\n', 2);
    r.feed('serial', '[0.0] Linux version 6.1\n', 3);
    expect(r.times).toEqual({ 'seabios-boot': 1, syslinux: 2, kernel: 3 });
    r.feed('serial', 'BULKHEAD-GUEST-READY 6.1 i686\n', 4);
    r.feed('serial', '\x1b[6nbulkhead:~# ', 5);
    expect(r.times.marker).toBe(4);
    expect(r.times.shell).toBe(5);
    expect(r.lastMilestone()).toBe('shell');
    expect(r.lastSerialLine()).toBe('bulkhead:~#');
  });

  it('names the first milestone missed, the marker by its text', () => {
    const r = new ConsoleRecorder();
    r.feed('serial', 'SYSLINUX 6.04\n', 1);
    expect(r.firstMissing('shell')).toBe('SeaBIOS "Booting from Hard Disk"');
    r.feed('debug', 'Booting from Hard Disk...\n', 2);
    r.feed('serial', 'Linux version 6.1\n', 3);
    expect(r.firstMissing('shell')).toBe('the marker BULKHEAD-GUEST-READY');
    expect(r.firstMissing('kernel')).toBe('kernel "Linux version"');
  });

  it('runs a shell command: the typed echo never ends it, the printed sentinel does', async () => {
    const recorder = new ConsoleRecorder();
    let t = 0;
    const link: SerialLink = {
      recorder,
      now: () => t,
      sleep: async () => {},
      send: (text) => {
        // A shell: echo the typed line (with the quotes), then the output, then run `echo`.
        setTimeout(() => {
          t += 5;
          recorder.feed('serial', text.replace(/\n$/, '\r\n'), t);
          const tag = /echo (__BHE""\d+__) \$\?/.exec(text)![1].replace('""', '');
          recorder.feed('serial', '16+0 records in\r\n', t);
          t += 10;
          recorder.feed('serial', `${tag} 3\r\nbulkhead:~# \x1b[6n`, t);
        }, 0);
      },
    };
    const r = await runCommand(link, 'dd if=/dev/sda of=/dev/null', 1000);
    expect(r).toEqual({ output: '16+0 records in\n', status: 3, hostMs: 15 });
  });

  it('strips terminal escapes and parses dd summaries', () => {
    expect(stripTerminal('a\x1b[6nb\r\n')).toBe('ab\n');
    expect(parseDdRate('16+0 records in\n16+0 records out\n16777216 bytes (16.0MB) copied, 0.500000 seconds, 32.0MB/s')).toBeCloseTo(33.554432);
    expect(parseDdRate('16777216 bytes (17 MB, 16 MiB) copied, 0.25 s, 67 MB/s')).toBeCloseTo(67.108864);
    expect(parseDdRate('dd: can\'t open')).toBeUndefined();
    expect(randomReadLoop('/dev/sda', 8192, 100, 7)).toBe(
      'RANDOM=7; i=0; while [ $i -lt 100 ]; do dd if=/dev/sda of=/dev/null bs=4096 count=1 skip=$((RANDOM % 8192)) 2>/dev/null; i=$((i+1)); done',
    );
  });
});
