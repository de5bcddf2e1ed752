/**
 * The settings panel: memory, device placement (isolated / monolithic), the response to a
 * device failure, the security policy (docs/security.md) and the NIC, chosen from the device
 * registry with its secure / not-secure classification shown as a badge. "Save and restart"
 * hands the new settings to the page, which saves them (idb-keyval) and restarts a running VM.
 */
import { RAM_CHOICES, type CatalogEntry, type VmSettings } from '../workers/vm-api.js';

function select(name: string, options: [string, string][], value: string): HTMLSelectElement {
  const s = document.createElement('select');
  s.name = name;
  s.id = `set-${name}`;
  for (const [v, label] of options) {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = label;
    s.appendChild(o);
  }
  s.value = value;
  return s;
}

function label(text: string, forId: string): HTMLLabelElement {
  const l = document.createElement('label');
  l.textContent = text;
  l.htmlFor = forId;
  return l;
}

export class SettingsForm {
  constructor(form: HTMLFormElement, catalog: CatalogEntry[], current: VmSettings, apply: (s: VmSettings) => Promise<void>) {
    const ram = select('ram', RAM_CHOICES.map((m) => [String(m), `${m} MiB`]), String(current.ramMiB));
    const placement = select('placement', [
      ['monolithic', 'monolithic — every device in the CPU worker'],
      ['isolated', 'isolated — one worker per device class'],
    ], current.placement);
    const failure = select('failure', [
      ['stop', 'stop the machine'], ['pause', 'pause the machine'], ['detach', 'detach the device, run on'], ['restart', 'restart the device worker'],
    ], current.failureResponse);
    const policy = select('policy', [
      ['none', 'none — accept any configuration'], ['warn', 'warn — run, but report taints'], ['strict', 'strict — refuse tainting configurations'],
    ], current.policy);
    const autostart = document.createElement('input');
    autostart.type = 'checkbox';
    autostart.id = 'set-autostart';
    autostart.checked = current.autostart;

    const nics = document.createElement('div');
    nics.className = 'nics';
    const nicChoices: [string, CatalogEntry | undefined][] = [['none', undefined], ...catalog.filter((c) => c.class === 'network').map((c): [string, CatalogEntry] => [c.name, c])];
    for (const [name, entry] of nicChoices) {
      const l = document.createElement('label');
      const r = document.createElement('input');
      r.type = 'radio';
      r.name = 'nic';
      r.value = name;
      r.checked = current.nic === name;
      l.append(r, ` ${name} `);
      if (entry) {
        const badge = document.createElement('span');
        badge.className = entry.secure === true ? 'badge ok' : 'badge bad';
        badge.textContent = entry.secure === true ? 'secure' : entry.secure === false ? 'not secure' : 'unclassified';
        badge.title = entry.secureReason;
        const desc = document.createElement('span');
        desc.className = 'hint';
        desc.textContent = ` ${entry.description}`;
        l.append(badge, desc);
      }
      nics.appendChild(l);
    }

    const save = document.createElement('button');
    save.type = 'submit';
    save.textContent = 'Save and restart';
    save.id = 'set-save';
    const saved = document.createElement('span');
    saved.className = 'hint';

    form.replaceChildren(
      label('Memory', ram.id), ram,
      label('Placement', placement.id), placement,
      label('On device failure', failure.id), failure,
      label('Security policy', policy.id), policy,
      label('Network card', 'nic'), nics,
      label('Power on at load', autostart.id), autostart,
      save, saved,
    );
    form.onsubmit = (ev) => {
      ev.preventDefault();
      const nic = (form.querySelector('input[name=nic]:checked') as HTMLInputElement | null)?.value ?? 'none';
      const s: VmSettings = {
        ramMiB: Number(ram.value),
        placement: placement.value as VmSettings['placement'],
        failureResponse: failure.value as VmSettings['failureResponse'],
        policy: policy.value as VmSettings['policy'],
        nic,
        autostart: autostart.checked,
      };
      saved.textContent = ' saving…';
      apply(s).then(() => { saved.textContent = ' saved'; }, (e: unknown) => { saved.textContent = ` failed: ${String(e)}`; });
    };
  }
}
