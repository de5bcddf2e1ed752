/**
 * The page: the VM's screen (canvas) and serial terminal (xterm.js), the toolbar, the settings
 * panel and the live security panel, all driving the machine through one VmClient. The same
 * object's methods are exposed as `window.bulkhead` for the browser tests (e2e/) and scripts,
 * together with the worker-topology checks the isolation tests use. Errors are shown as
 * messages on the page (missing images, failed fetches, no cross-origin isolation).
 */
import '@xterm/xterm/css/xterm.css';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import type { FailureResponse, ProbeResult, WorkerClass } from '../channel/protocol.js';
import type { BootReport, ChannelBench, ContainmentReport, MemoryCheck, WorkerReport } from '../workers/cpu-runtime.js';
import type { CatalogEntry, ImageChoice, MediaInfo, QmpAnswer, QmpEvent, SecurityReport, VmSettings, VmStatus } from '../workers/vm-api.js';
import { DEFAULT_IMAGE } from '../workers/vm-api.js';
import { VmClient } from './vm-client.js';
import { startTopology } from './topology.js';
import { Screen } from './screen.js';
import { SecurityPanel } from './security-panel.js';
import { loadSettings, saveRawSettings, saveSettings } from './settings.js';
import { SettingsForm } from './settings-form.js';
import { describeChoice, ImageChooser } from './image-chooser.js';
import { PointerCapture } from './pointer.js';
import { keyComboMenu } from './key-combos.js';

export interface BulkheadApi {
  // Worker topology (e2e/tests/isolation.mjs).
  ready: Promise<BootReport>;
  crossOriginIsolated: boolean;
  topology(): Promise<WorkerReport[]>;
  memoryCheck(): Promise<MemoryCheck>;
  probe(cls: WorkerClass): Promise<ProbeResult[]>;
  benchChannel(): Promise<ChannelBench>;
  containment(response: FailureResponse): Promise<ContainmentReport>;
  // The VM.
  /** Resolves once the page has loaded its settings (and started the VM if autostart). */
  appReady: Promise<void>;
  settings(): VmSettings;
  saveSettings(s: VmSettings): Promise<void>;
  /** Store any value as the saved settings (tests of the corrupt-settings notice). */
  saveRawSettings(v: unknown): Promise<void>;
  notice(): string;
  powerOn(s?: VmSettings): Promise<VmStatus>;
  powerOff(): Promise<void>;
  reset(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  ctrlAltDel(): Promise<void>;
  status(): Promise<VmStatus>;
  security(): Promise<SecurityReport>;
  crashDevice(id: string): Promise<void>;
  hangDevice(id: string): Promise<void>;
  serialText(): string;
  waitForSerial(text: string, timeoutMs: number, from?: number): Promise<number>;
  sendSerial(text: string): void;
  key(code: string, down: boolean): void;
  screenText(): Promise<string>;
  /** Whether the display's picture has more than one colour (from its PNG, over RPC). */
  screenNotBlank(): Promise<boolean>;
  screenshotPng(): Promise<Uint8Array | undefined>;
  /** Canvases the page has handed to the VM since it loaded (power-ons and display-worker restarts). */
  screenCanvases(): number;
  /** One QMP command on the machine (machine.qmp through the worker); never throws. */
  qmp(cmd: unknown): Promise<QmpAnswer>;
  /** The QMP events seen since the page loaded (TAINTED, DEVICE_FAILED, STOP, …). */
  qmpEvents(): QmpEvent[];
  /** Boot media (src/ui/image-chooser.ts): choose and boot, with a File for local images. */
  chooseImage(choice: ImageChoice, file?: File): Promise<void>;
  mediaInfo(): Promise<MediaInfo>;
  discardChanges(): Promise<void>;
  exportDisk(): Promise<{ name: string; size: number }>;
  /** PS/2 mouse input, as the captured pointer sends it. */
  mouse(dx: number, dy: number, dz: number, buttons: number): void;
}

declare global {
  interface Window { bulkhead: BulkheadApi }
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const noticeEl = $<HTMLDivElement>('notice');
let noticeText = '';

function notice(text: string, error = false): void {
  noticeText = text;
  noticeEl.textContent = text;
  noticeEl.className = error ? 'error' : '';
  noticeEl.hidden = text === '';
}

function fmtUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function fmtIps(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)} k` : n.toFixed(0);
}

const vm = new VmClient();
const ready = startTopology(vm.remote);

// Serial terminal.
const term = new Terminal({ convertEol: false, scrollback: 5000, fontSize: 13, cursorBlink: true });
const fit = new FitAddon();
term.loadAddon(fit);
term.open($('terminal'));
fit.fit();
new ResizeObserver(() => fit.fit()).observe($('terminal'));
vm.onSerial((b) => term.write(b));
term.onData((d) => vm.sendSerial(d));

vm.fetchAllowed = (url) => settings?.image?.source === 'url' && new URL(settings.image.url).href === url;
const screen = new Screen($<HTMLCanvasElement>('screen'), vm, $('screenbox'));
const security = new SecurityPanel($('secpanel'), vm);

let settings: VmSettings;
let catalog: CatalogEntry[] = [];
/** The picked local file, when the boot medium is one (never saved: the user picks it again). */
let localFile: File | undefined;
let imageChooser: ImageChooser | undefined;
const chooser = (): ImageChooser => {
  if (!imageChooser) throw new Error('the page has not started yet');
  return imageChooser;
};
const needsFile = (s: VmSettings): boolean => s.image?.source === 'file' && !(localFile && localFile.name === s.image.name && localFile.size === s.image.size);

// Toolbar.
const powerBtn = $<HTMLButtonElement>('btn-power');
const pauseBtn = $<HTMLButtonElement>('btn-pause');
const on = (): boolean => !['off', 'stopped', 'failed'].includes(vm.state);

async function powerOn(s: VmSettings = settings): Promise<VmStatus> {
  if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated (COOP/COEP headers missing): SharedArrayBuffer is unavailable');
  notice('');
  term.reset();
  vm.clearSerial();
  try {
    // A fresh canvas per power-on, its control transferred to the VM (src/ui/screen.ts).
    await screen.handOver();
    if (needsFile(s)) throw new Error(`pick the local file ${s.image?.source === 'file' ? s.image.name : ''} again (Boot media → Local file): a page cannot reopen it by itself`);
    const st = await vm.remote.powerOn(s, s.image?.source === 'file' ? localFile : undefined);
    if (st.notes.length) notice(st.notes.join('\n'));
    return st;
  } catch (e) {
    notice(`Could not start the machine: ${e instanceof Error ? e.message : String(e)}`, true);
    throw e;
  }
}

powerBtn.onclick = () => {
  if (on()) void vm.remote.powerOff();
  else void powerOn().catch(() => {});
};
$('btn-reset').onclick = () => void vm.remote.reset();
pauseBtn.onclick = () => void (vm.state === 'paused' ? vm.remote.resume() : vm.remote.pause());
$('btn-cad').onclick = () => void vm.remote.ctrlAltDel();
$('btn-cad').after(keyComboMenu(vm));
const pointer = new PointerCapture(vm, (locked) => {
  $('mouse-hint').textContent = locked ? '(mouse captured: Esc releases it)' : '(click to type and to capture the mouse; Esc releases it)';
});
screen.onCanvas((c) => pointer.attach(c));
$('btn-shot').onclick = async () => {
  // The display device's own PNG (rendered where the display runs), not the page's canvas.
  const png = await vm.remote.screenshotPng().catch(() => undefined);
  if (!png) return;
  const url = URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `bulkhead-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};

// Status line.
const statusEl = $('vmstatus');
async function refreshStatus(): Promise<void> {
  try {
    const s = await vm.remote.status();
    powerBtn.textContent = on() ? 'Power off' : 'Power on';
    pauseBtn.textContent = s.state === 'paused' ? 'Resume' : 'Pause';
    statusEl.textContent = `state: ${s.state}${s.placement ? ` (${s.placement})` : ''} · ${fmtIps(s.ips)} instr/s · uptime ${fmtUptime(s.uptimeMs)} · guest time ${(s.virtualTimeNs / 1e9).toFixed(1)} s`;
    if (s.state === 'failed' && s.error) notice(`The machine failed: ${s.error}`, true);
  } catch (e) {
    statusEl.textContent = `status unavailable: ${String(e)}`;
  }
}
setInterval(() => void refreshStatus(), 1000);

const appReady = (async () => {
  if (!crossOriginIsolated) {
    notice('This page is not cross-origin isolated (the server sent no COOP/COEP headers), so SharedArrayBuffer is unavailable and the machine cannot run. Serve it with `npm start` (vite preview) or `npm run dev`.', true);
    return;
  }
  catalog = await vm.remote.catalog();
  const loaded = await loadSettings(catalog.filter((c) => c.class === 'network').map((c) => c.name));
  settings = loaded.settings;
  const chooser = new ImageChooser($('media'), $('screenbox'), {
    vm,
    current: () => settings.image ?? DEFAULT_IMAGE,
    file: () => (settings.image?.source === 'file' ? localFile : undefined),
    async choose(choice, file) {
      if (file) localFile = file;
      settings = { ...settings, image: choice };
      await saveSettings(settings);
      await powerOn(settings);
    },
    notice,
  });
  imageChooser = chooser;
  await chooser.init();
  new SettingsForm($('settings').querySelector('form')!, catalog, settings, async (s) => {
    // The form does not edit the boot medium: keep it.
    settings = settings.image ? { ...s, image: settings.image } : s;
    s = settings;
    await saveSettings(s);
    if (on()) await powerOn(s).catch(() => {});
  });
  security.start();
  if (settings.autostart && needsFile(settings)) notice(`The saved boot medium is the local file ${describeChoice(settings.image!)}: pick it again (Boot media → Local file) to start.`);
  else if (settings.autostart) await powerOn(settings).catch(() => {});
  // Shown after powerOn (which clears notices): a rejected saved record stays visible.
  if (loaded.notice) notice(`${loaded.notice}${noticeText ? `\n${noticeText}` : ''}`);
})();
appReady.catch((e: unknown) => notice(`The page failed to start: ${String(e)}`, true));

window.bulkhead = {
  ready,
  crossOriginIsolated,
  topology: () => vm.remote.topology(),
  memoryCheck: () => vm.remote.memoryCheck(),
  probe: (cls) => vm.remote.probe(cls),
  benchChannel: () => vm.remote.benchChannel(),
  containment: (response) => vm.remote.containment(response),
  appReady,
  settings: () => ({ ...settings }),
  saveSettings: async (s) => { settings = { ...s }; await saveSettings(s); },
  saveRawSettings,
  notice: () => noticeText,
  powerOn: (s) => powerOn(s ?? settings),
  powerOff: () => vm.remote.powerOff(),
  reset: () => vm.remote.reset(),
  pause: () => vm.remote.pause(),
  resume: () => vm.remote.resume(),
  ctrlAltDel: () => vm.remote.ctrlAltDel(),
  status: () => vm.remote.status(),
  security: () => vm.remote.security(),
  crashDevice: (id) => vm.remote.crashDevice(id),
  hangDevice: (id) => vm.remote.hangDevice(id),
  serialText: () => vm.serial(),
  waitForSerial: (text, timeoutMs, from) => vm.waitForSerial(text, timeoutMs, from),
  sendSerial: (text) => vm.sendSerial(text),
  key: (code, down) => vm.key(code, down),
  screenText: () => vm.remote.screenText(),
  screenNotBlank: () => vm.remote.screenNotBlank(),
  screenshotPng: () => vm.remote.screenshotPng(),
  screenCanvases: () => screen.handOvers,
  qmp: async (cmd) => {
    try {
      return await vm.remote.qmp(cmd as Parameters<typeof vm.remote.qmp>[0]);
    } catch (e) {
      return { error: { class: 'GenericError', desc: e instanceof Error ? e.message : String(e) } };
    }
  },
  qmpEvents: () => vm.qmpEvents.map((e) => structuredClone(e)),
  chooseImage: (choice, file) => chooser().choose(choice, file),
  mediaInfo: () => vm.remote.mediaInfo(settings.image ?? DEFAULT_IMAGE, settings.image?.source === 'file' ? localFile : undefined),
  discardChanges: () => chooser().discard(),
  exportDisk: () => chooser().exportDisk(),
  mouse: (dx, dy, dz, buttons) => vm.mouse(dx, dy, dz, buttons),
};
