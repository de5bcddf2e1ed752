/**
 * Readers of the text that the other benchmarks print (bench/cpu.ts → `npm run bench:cpu`,
 * bench/channel.ts → `npm run bench:channel`), turned into report sections
 * (bench/report.ts). They read the tables the way a person would — a label, then numbers —
 * and keep any line they cannot place as a note, so a change of layout there degrades to notes
 * here instead of wrong numbers. Pure functions: test/bench/ checks them on sample text.
 */
import { naCell, textCell, valueCell, type Row, type Section } from './report.js';

/**
 * bench/cpu.ts: a header line with "MIPS" naming its figure columns (split on 2+ spaces; a
 * parenthesised tail is a note), then `name  value|FAILED ...  [extra]` lines. Values beyond the
 * header's columns (a MB/s rate) go to the last column as text.
 */
export function parseCpuOutput(stdout: string): Section {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => /\bMIPS\b/.test(l));
  const rows: Row[] = [];
  const notes: string[] = [];
  let columns: string[] = ['MIPS'];
  if (header >= 0) {
    const parts = lines[header].trim().split(/\s{2,}/);
    const named = parts.slice(1).filter((p) => !p.startsWith('(')).map((p) => p.replace(/\s*\(.*\)$/, ''));
    if (named.length) columns = named;
    const tail = /\(([^)]*)\)\s*$/.exec(lines[header])?.[0];
    if (tail) notes.push(`bench:cpu: ${tail.replace(/^\(|\)$/g, '')}. Fixed guest code in a bare CPU core, no devices.`);
    for (const line of lines.slice(header + 1)) {
      if (!line.trim()) continue;
      const tokens = line.trim().split(/\s{2,}/);
      if (tokens.length < 2) {
        notes.push(line.trim());
        continue;
      }
      const label = tokens[0];
      const cells = columns.map((col, i) => {
        const t = tokens[i + 1];
        if (t === undefined) return naCell(`${label}: no figure`);
        const x = Number(t);
        return Number.isFinite(x) ? valueCell([x], /MIPS/.test(col) ? 'MIPS' : '', 1) : naCell(`${label}: ${t}`);
      });
      const extra = tokens.slice(columns.length + 1).join('  ');
      rows.push({ label, cells: [...cells, textCell(extra)] });
    }
  }
  return { title: 'CPU core (bench:cpu)', columns: [...columns.map((c) => `Bulkhead, ${c}`), 'also'], rows, notes };
}

const NODE_COLUMNS = 2;

/**
 * bench/channel.ts: a Node table (`label (unit)  isolated  monolithic  [comment]`), then
 * optionally a "Chromium ..." block (`label (unit)  value  [comment]`).
 */
export function parseChannelOutput(stdout: string): Section {
  const rows = new Map<string, Row>();
  const notes: string[] = [];
  let chromium = false;
  for (const raw of stdout.split('\n')) {
    const line = raw.trimEnd();
    if (!line.trim()) continue;
    if (/^Chromium\b/.test(line.trim())) {
      chromium = true;
      notes.push(`Chromium: ${line.trim().replace(/^Chromium\s*/, '')}`);
      continue;
    }
    const m = /^([A-Za-z][^()]*?\(([^)]+)\))\s+(-?[\d.]+)(?:\s+(-?[\d.]+))?\s*(.*)$/.exec(line);
    if (!m) {
      if (!/^\s*isolated\s+monolithic/.test(line)) notes.push(line.trim());
      continue;
    }
    const label = m[1].replace(/\s*\([^)]*\)$/, '').trim();
    const unit = m[2].replace(/^median\s+/, '');
    const a = Number(m[3]);
    const b = m[4] !== undefined ? Number(m[4]) : undefined;
    const row = rows.get(label) ?? { label, cells: [naCell('not measured'), naCell('not measured'), naCell('not measured')] };
    if (chromium) {
      row.cells[NODE_COLUMNS] = valueCell([a], unit);
    } else {
      row.cells[0] = valueCell([a], unit);
      if (b !== undefined) row.cells[1] = valueCell([b], unit);
    }
    if (m[5]) notes.push(`${label}${chromium ? ' (Chromium)' : ''}: ${m[5].trim()}`);
    rows.set(label, row);
  }
  return { title: 'Device channel (bench:channel)', columns: ['isolated (Node)', 'monolithic (Node)', 'Chromium'], rows: [...rows.values()], notes };
}
