/**
 * Result model and formatting of `npm run bench` (bench/all.ts): figures grouped in sections,
 * each cell a median of several runs (or "not available" with the reason), ratios Bulkhead ÷
 * v86, and the two outputs — a markdown report (stdout, bench/results/latest.md) and a JSON
 * document (bench/results/latest.json). Pure functions on plain data: test/bench/ checks them
 * on fake numbers, never on timings.
 */

/** One measured value: the runs and their median, or why there is none. */
export type Cell =
  | { kind: 'value'; median: number; runs: number[]; unit: string; digits?: number }
  | { kind: 'text'; text: string }
  | { kind: 'na'; reason: string };

export interface Row {
  label: string;
  cells: Cell[];
}

export interface Section {
  title: string;
  /** Column headers after the first (figure) column. */
  columns: string[];
  rows: Row[];
  /** How the section was measured, caveats (markdown lines under the table). */
  notes: string[];
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  loadAverage: number[];
  node: string;
  os: string;
}

export interface BenchMeta {
  date: string;
  gitCommit: string;
  gitDirty: boolean;
  machine: MachineInfo;
  packages: Record<string, string>;
  mode: 'full' | 'quick';
  runs: number;
  bootTimeoutS: number;
  elapsedS: number;
}

export interface BenchReport {
  meta: BenchMeta;
  sections: Section[];
  /** Per-run raw results of the parts (boot runs, child outputs). */
  raw: Record<string, unknown>;
}

/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A value cell from runs (the median is computed here). Empty runs give "not available". */
export function valueCell(runs: readonly number[], unit: string, digits?: number, emptyReason = 'no successful run'): Cell {
  const ok = runs.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return { kind: 'na', reason: emptyReason };
  return { kind: 'value', median: median(ok), runs: [...ok], unit, digits };
}

export function naCell(reason: string): Cell {
  return { kind: 'na', reason };
}

export function textCell(text: string): Cell {
  return { kind: 'text', text };
}

/** The ratio a ÷ b of two value cells, or "n/a" when either is missing. */
export function ratioCell(a: Cell, b: Cell): Cell {
  if (a.kind !== 'value' || b.kind !== 'value') return { kind: 'na', reason: 'needs both figures' };
  if (b.median <= 0 || a.median < 0) return { kind: 'na', reason: 'no ratio of a zero or negative figure' };
  return { kind: 'value', median: a.median / b.median, runs: [], unit: '×', digits: 2 };
}

/** A number with sensible precision: 3 significant digits, no exponent for ordinary sizes. */
export function formatNumber(x: number, digits?: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (digits !== undefined) return x.toFixed(digits);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toString();
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return '0';
  return x.toPrecision(2);
}

/** Markdown text of a cell; "n/a" cells get a footnote number from `notes`. */
export function formatCell(c: Cell, footnotes: string[]): string {
  switch (c.kind) {
    case 'value': {
      const unit = c.unit === '×' ? '×' : c.unit ? ` ${c.unit}` : '';
      const spread = c.runs.length > 1 ? ` (${c.runs.length} runs)` : '';
      return `${formatNumber(c.median, c.digits)}${unit}${spread}`;
    }
    case 'text':
      return escapeCell(c.text);
    case 'na': {
      let i = footnotes.indexOf(c.reason);
      if (i < 0) {
        footnotes.push(c.reason);
        i = footnotes.length - 1;
      }
      return `n/a [${i + 1}]`;
    }
  }
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** One section as a markdown table followed by its notes and footnotes. */
export function sectionMarkdown(s: Section): string {
  const footnotes: string[] = [];
  const head = ['figure', ...s.columns];
  const lines = [`### ${s.title}`, '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of s.rows) {
    const cells = s.columns.map((_, i) => (r.cells[i] ? formatCell(r.cells[i], footnotes) : ''));
    lines.push(`| ${escapeCell(r.label)} | ${cells.join(' | ')} |`);
  }
  if (footnotes.length || s.notes.length) lines.push('');
  footnotes.forEach((f, i) => lines.push(`[${i + 1}] ${escapeCell(f)}  `));
  for (const n of s.notes) lines.push(n.endsWith('  ') ? n : `${n}  `);
  return lines.join('\n');
}

/** The header block: machine, versions, commit, date. */
export function metaMarkdown(m: BenchMeta): string {
  const pk = Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `- date: ${m.date}; mode: ${m.mode} (${m.runs === 1 ? '1 run' : `up to ${m.runs} runs`} per figure, medians; boot timeout ${m.bootTimeoutS} s); took ${formatNumber(m.elapsedS / 60, 1)} min`,
    `- machine: ${m.machine.cpuModel}, ${m.machine.cores} cores, ${formatNumber(m.machine.memoryGiB, 1)} GiB RAM, load average at start ${m.machine.loadAverage.map((x) => x.toFixed(2)).join(' ')}; ${m.machine.os}`,
    `- Node ${m.machine.node}; ${pk}`,
    `- git commit ${m.gitCommit}${m.gitDirty ? ' (work tree has uncommitted changes)' : ''}`,
  ].join('\n');
}

/** The whole markdown report. */
export function reportMarkdown(r: BenchReport): string {
  return [`## Bulkhead benchmark`, '', metaMarkdown(r.meta), '', ...r.sections.flatMap((s) => [sectionMarkdown(s), ''])].join('\n');
}

/** The JSON document (stable key order as built; 2-space indentation). */
export function reportJson(r: BenchReport): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

/** File name of the dated copy: latest-style name with an ISO date-time safe for file systems. */
export function datedName(date: string, ext: 'json' | 'md'): string {
  return `bench-${date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}.${ext}`;
}
