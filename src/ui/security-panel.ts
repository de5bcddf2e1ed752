/**
 * The live security panel: the control plane, the CPU worker and each device worker with what
 * it may reach; each device with where it runs, its status, its placement statistics (reads,
 * writes, IRQs, DMA bytes, time blocked) and crash/hang buttons (placement fault injection,
 * docs/isolation.md); the policy, the taint log and an event log. Refreshed once a second.
 */
import type { SecurityReport } from '../workers/vm-api.js';
import type { VmClient } from './vm-client.js';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function row(cells: (string | Node)[], head = false): HTMLTableRowElement {
  const tr = el('tr');
  for (const c of cells) {
    const td = el(head ? 'th' : 'td');
    if (typeof c === 'string') td.textContent = c;
    else td.appendChild(c);
    tr.appendChild(td);
  }
  return tr;
}

export class SecurityPanel {
  private readonly log: HTMLElement;
  private readonly body: HTMLElement;
  private timer: ReturnType<typeof setInterval> | undefined;
  last: SecurityReport | undefined;

  constructor(root: HTMLElement, private readonly vm: VmClient) {
    this.body = el('div');
    const logBox = el('div');
    logBox.appendChild(el('h3', 'Event log'));
    this.log = el('pre', undefined, 'eventlog');
    logBox.appendChild(this.log);
    root.append(this.body, logBox);
    vm.onEvent((m) => {
      if (m.t === 'state') this.event(`machine ${m.state}${m.error ? `: ${m.error}` : ''}`);
      else if (m.t === 'log' && m.level !== 'debug') this.event(`[${m.level}] ${m.source}: ${m.message}`);
      else if (m.t === 'device') this.event(`device event ${m.event.kind}: ${m.event.devices.join(', ')} (${m.event.worker})${m.event.kind === 'device-failed' ? ` ${m.event.cause}: ${m.event.detail} → ${m.event.response}` : ''}`);
    });
  }

  event(text: string): void {
    const line = `${new Date().toISOString().slice(11, 23)} ${text}\n`;
    this.log.textContent = (line + (this.log.textContent ?? '')).slice(0, 20_000);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.refresh(), 1000);
    void this.refresh();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  async refresh(): Promise<void> {
    let r: SecurityReport;
    try {
      r = await this.vm.remote.security();
    } catch (e) {
      this.body.replaceChildren(el('p', `security report unavailable: ${String(e)}`, 'bad'));
      return;
    }
    this.last = r;
    const out: Node[] = [];
    const summary = el('p');
    summary.append(
      `Policy: ${r.policy}. Placement: ${r.placement ?? '—'}. `,
      el('span', r.tainted ? `TAINTED (${r.taints.length})` : 'not tainted', r.tainted ? 'badge bad' : 'badge ok'),
    );
    out.push(summary);
    if (r.taints.length) {
      const ul = el('ul');
      for (const t of r.taints) ul.appendChild(el('li', `${t.device}: ${t.reason}`));
      out.push(ul);
    }

    out.push(el('h3', 'Workers'));
    const wt = el('table');
    wt.appendChild(row(['worker', 'devices', 'may reach', 'health'], true));
    for (const w of r.workers) wt.appendChild(row([w.name, w.devices.join(', ') || '—', w.capabilities.join(', '), w.health ?? '—']));
    out.push(wt);

    out.push(el('h3', 'Devices'));
    const dt = el('table');
    dt.appendChild(row(['device', 'type', 'runs in', 'status', 'reads', 'writes', 'IRQs', 'DMA bytes', 'bulk I/O bytes', 'blocked ms', 'guest errors', 'fault injection'], true));
    for (const d of r.devices) {
      const actions = el('span');
      if (d.health !== 'chipset') {
        const crash = el('button', 'crash');
        crash.dataset.device = d.id;
        crash.onclick = () => { this.event(`crash injected into ${d.id}`); void this.vm.remote.crashDevice(d.id).catch((e: unknown) => this.event(`crash ${d.id} failed: ${String(e)}`)); };
        const hang = el('button', 'hang');
        hang.onclick = () => { this.event(`hang injected into ${d.id}`); void this.vm.remote.hangDevice(d.id).catch((e: unknown) => this.event(`hang ${d.id} failed: ${String(e)}`)); };
        actions.append(crash, hang);
      }
      const type = el('span');
      type.append(`${d.type} `, el('span', d.secure === true ? 'secure' : d.secure === false ? 'not secure' : 'unclassified', d.secure === true ? 'badge ok' : 'badge bad'));
      const s = d.stats;
      const tr = row([d.id, type, d.where, d.health, String(s?.reads ?? d.reads), String(s?.postedWrites ?? d.writes), s ? String(s.irqRaises) : '—',
        s ? String(s.dmaBytes) : '—', s ? String(s.bulkBytes) : '—', s ? s.blockedMs.toFixed(1) : '—', String(d.guestErrors), actions]);
      tr.className = d.health === 'running' || d.health === 'chipset' ? '' : 'bad';
      dt.appendChild(tr);
    }
    out.push(dt);
    this.body.replaceChildren(...out);
  }
}
