/**
 * Key combinations the browser or the host OS would take for itself (Ctrl+Alt+F1, Alt+Tab, …),
 * sent to the guest's keyboard from buttons: each press goes down in order and is released in
 * reverse, as KeyboardEvent.code names (src/devices/input/input-backend.ts).
 */
import type { VmClient } from './vm-client.js';

export interface KeyCombo {
  label: string;
  codes: string[];
}

export const KEY_COMBOS: KeyCombo[] = [
  { label: 'Ctrl+Alt+F1', codes: ['ControlLeft', 'AltLeft', 'F1'] },
  { label: 'Ctrl+Alt+F2', codes: ['ControlLeft', 'AltLeft', 'F2'] },
  { label: 'Alt+F1', codes: ['AltLeft', 'F1'] },
  { label: 'Alt+F2', codes: ['AltLeft', 'F2'] },
  { label: 'Alt+Tab', codes: ['AltLeft', 'Tab'] },
  { label: 'Ctrl+Alt+Backspace', codes: ['ControlLeft', 'AltLeft', 'Backspace'] },
  { label: 'Esc', codes: ['Escape'] },
  { label: 'PrintScreen', codes: ['PrintScreen'] },
  { label: 'Alt+SysRq', codes: ['AltLeft', 'PrintScreen'] },
];

export function sendCombo(vm: VmClient, codes: readonly string[]): void {
  for (const c of codes) vm.key(c, true);
  for (const c of [...codes].reverse()) vm.key(c, false);
}

/** A labelled "Send keys" menu (select + button) for the toolbar. */
export function keyComboMenu(vm: VmClient): HTMLElement {
  const group = document.createElement('span');
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', 'Send a key combination to the guest');
  const label = document.createElement('label');
  label.htmlFor = 'combo';
  label.textContent = 'Keys: ';
  const sel = document.createElement('select');
  sel.id = 'combo';
  for (const [i, c] of KEY_COMBOS.entries()) {
    const o = document.createElement('option');
    o.value = String(i);
    o.textContent = c.label;
    sel.appendChild(o);
  }
  const btn = document.createElement('button');
  btn.id = 'btn-combo';
  btn.type = 'button';
  btn.textContent = 'Send';
  btn.title = 'Press the chosen combination in the guest (the browser would take it for itself)';
  btn.onclick = () => sendCombo(vm, KEY_COMBOS[Number(sel.value)].codes);
  group.append(label, sel, btn);
  return group;
}
