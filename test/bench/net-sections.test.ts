/**
 * bench/net-sections.ts: reading the `BENCH-NET` line of bench/network.ts and bench/v86-net.ts
 * and building the network table (medians, ratios, reasons for missing figures). Sample text
 * and fake figures only; no guest boots here.
 */
import { describe, expect, it } from 'vitest';
import { netSection, parseNetOutput, type NetRun } from '../../bench/net-sections.js';
import { sectionMarkdown } from '../../bench/report.js';

const line = (o: unknown): string => `isolated run 1: TCP ...\nBENCH-NET ${JSON.stringify([o])}\n`;

describe('parseNetOutput', () => {
  it('takes the first result of the BENCH-NET line', () => {
    const p = parseNetOutput(line({ placement: 'isolated', mib: 4, bootS: 200, tcpMBps: 0.5, pingMs: 3, runs: { mbps: [0.4, 0.5, 0.6], rtts: [3, 2, 4] } }));
    expect(p.failure).toBeUndefined();
    expect(p.result?.runs?.mbps).toEqual([0.4, 0.5, 0.6]);
  });
  it('reports a failure carried in the line, a skip, and a missing line', () => {
    expect(parseNetOutput(line({ placement: 'v86', failure: 'v86 guest B: ping lost packets' })).failure).toBe('v86 guest B: ping lost packets');
    expect(parseNetOutput('bench/network: skipped (public/images/linux.img is missing)\n').failure).toBe('skipped: public/images/linux.img is missing');
    expect(parseNetOutput('something else\n').failure).toBe('no BENCH-NET line in its output');
  });
});

describe('netSection', () => {
  const run = (key: NetRun['target']['key'], title: string, variant: string, mbps: number[], rtts: number[], bootS: number): NetRun => ({
    target: { key, title, variant }, seconds: 1, result: { placement: variant, mib: 4, bootS, runs: { mbps, rtts }, nics: ['ne2k_pci', 'ne2k_pci'] },
  });
  it('gives medians and Bulkhead ÷ v86 ratios, and the reason where a figure is missing', () => {
    const all: NetRun[] = [
      run('iso', 'Bulkhead isolated', 'isolated', [1, 3, 2], [4, 6, 5], 200),
      { target: { key: 'mono', title: 'Bulkhead monolithic', variant: 'monolithic' }, seconds: 1, failure: 'bench/network.ts did not finish within its time limit' },
      run('v86', 'v86 (JIT)', 'jit', [0.5], [10], 100),
    ];
    const s = netSection(all, { mib: 4, bulkheadNic: 'ne2k_pci' });
    expect(s.columns).toEqual(['Bulkhead isolated', 'Bulkhead monolithic', 'v86 (JIT)', 'isolated ÷ monolithic', 'isolated ÷ v86', 'monolithic ÷ v86']);
    const [tcp, rtt, boot] = s.rows;
    expect(tcp.cells[0]).toMatchObject({ kind: 'value', median: 2, runs: [1, 3, 2] });
    expect(tcp.cells[4]).toMatchObject({ median: 4 });
    expect(rtt.cells[4]).toMatchObject({ median: 0.5 });
    expect(boot.cells[4]).toMatchObject({ median: 2 });
    expect(tcp.cells[1].kind === 'na' && tcp.cells[1].reason).toContain('Bulkhead monolithic: bench/network.ts did not finish');
    expect(tcp.cells[3]).toMatchObject({ kind: 'na' });
    expect(sectionMarkdown(s)).toContain('Bulkhead monolithic: bench/network.ts did not finish');
  });
});
