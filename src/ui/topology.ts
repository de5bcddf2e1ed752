/**
 * The worker topology check on the page: asks the CPU worker to start one device worker per
 * class (cpu-runtime.ts boot) and shows which answered and what each lockdown removed. The
 * isolation browser tests (e2e/tests/isolation.mjs) read it through `window.bulkhead`.
 */
import type { BootReport, WorkerReport } from '../workers/cpu-runtime.js';
import type { CpuRemote } from './vm-client.js';

function render(table: HTMLTableElement, rows: WorkerReport[]): void {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    const cells = [r.name, r.answered ? 'yes' : 'no', r.hasMemory ? 'yes' : 'no', r.hello ? r.hello.removed.join(', ') || '—' : '—'];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.appendChild(td);
    }
    tr.className = r.answered ? 'ok' : 'bad';
    body.appendChild(tr);
  }
  table.hidden = false;
}

/** Boot the topology and render it into #status / #workers. */
export function startTopology(cpu: CpuRemote): Promise<BootReport> {
  const status = document.getElementById('status')!;
  const table = document.getElementById('workers') as HTMLTableElement;
  const ready = (async () => {
    if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated (COOP/COEP headers missing): SharedArrayBuffer is unavailable');
    const boot = await cpu.boot({ ramMiB: 32 });
    const rows = await cpu.topology();
    render(table, rows);
    status.textContent = `CPU core: ${boot.core.status} (${boot.core.detail}). ${rows.filter((r) => r.answered).length} of ${rows.length} workers answered.`;
    return boot;
  })();
  ready.catch((e: unknown) => {
    status.textContent = `Start failed: ${String(e)}`;
    status.className = 'bad';
  });
  return ready;
}
