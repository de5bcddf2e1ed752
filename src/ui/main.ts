/**
 * The page (minimal for now; the full app comes later): starts the worker topology, shows which
 * workers answered and what each may reach, and exposes a small test API as `window.bulkhead`
 * for the browser tests (e2e/), so they never scrape the DOM.
 */
import type { FailureResponse, ProbeResult, WorkerClass } from '../channel/protocol.js';
import type { BootReport, ChannelBench, ContainmentReport, MemoryCheck, WorkerReport } from '../workers/cpu-runtime.js';
import { startTopology } from './topology.js';

export interface BulkheadTestApi {
  ready: Promise<BootReport>;
  crossOriginIsolated: boolean;
  topology(): Promise<WorkerReport[]>;
  memoryCheck(): Promise<MemoryCheck>;
  probe(cls: WorkerClass): Promise<ProbeResult[]>;
  benchChannel(): Promise<ChannelBench>;
  containment(response: FailureResponse): Promise<ContainmentReport>;
}

declare global {
  interface Window { bulkhead: BulkheadTestApi }
}

const status = document.getElementById('status')!;
const table = document.getElementById('workers') as HTMLTableElement;

function render(rows: WorkerReport[]): void {
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

const topo = startTopology();
const ready = (async () => {
  if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated (COOP/COEP headers missing): SharedArrayBuffer is unavailable');
  const boot = await topo.cpu.boot({ ramMiB: 32 });
  const rows = await topo.cpu.topology();
  render(rows);
  status.textContent = `CPU core: ${boot.core.status} (${boot.core.detail}). ${rows.filter((r) => r.answered).length} of ${rows.length} workers answered.`;
  return boot;
})();
ready.catch((e: unknown) => {
  status.textContent = `Start failed: ${String(e)}`;
  status.className = 'bad';
});

window.bulkhead = {
  ready,
  crossOriginIsolated,
  topology: () => topo.cpu.topology(),
  memoryCheck: () => topo.cpu.memoryCheck(),
  probe: (cls) => topo.cpu.probe(cls),
  benchChannel: () => topo.cpu.benchChannel(),
  containment: (response) => topo.cpu.containment(response),
};
