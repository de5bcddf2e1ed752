/**
 * The image chooser: what the machine boots from. Built-in images (/images/manifest.json: the
 * hard disk as IDE disk, the ISO as CD-ROM, the floppy as drive A:), a local file (file picker or
 * drag-and-drop onto the screen; read lazily in the worker through src/block/blob.ts), or a URL
 * (HTTP range requests, src/block/url.ts; progress shown). A short "recently used" list is kept
 * with idb-keyval; local files are remembered by name only and must be picked again. Also the
 * "Discard changes" and "Export disk" buttons of the chosen image's persistent overlay
 * (docs/app.md, "Boot media and saved changes").
 */
import { get, set } from 'idb-keyval';
import type { ImageChoice, MediumKind } from '../workers/vm-api.js';
import { copyImage, validateImage } from './settings.js';
import type { VmClient } from './vm-client.js';

export const RECENT_KEY = 'bulkhead.recent-images.v1';
const RECENT_MAX = 6;
/** Export chunk: the merged image travels worker → page in pieces of this size. */
const EXPORT_CHUNK = 4 << 20;

const ROLE_KIND: Record<string, MediumKind> = { 'hard-disk': 'disk', cdrom: 'cdrom', floppy: 'floppy' };
const KIND_LABEL: Record<MediumKind, string> = { disk: 'hard disk', cdrom: 'CD-ROM', floppy: 'floppy' };
/** Standard PC floppy image sizes (160 KiB … 2.88 MiB). */
const FLOPPY_SIZES = new Set([163840, 184320, 327680, 368640, 737280, 1228800, 1474560, 1720320, 2949120]);

export interface ChooserHost {
  vm: VmClient;
  /** The chosen medium (saved settings). */
  current(): ImageChoice;
  /** The picked File when the current choice is a local file. */
  file(): File | undefined;
  /** Make `choice` the saved medium and boot it. */
  choose(choice: ImageChoice, file?: File): Promise<void>;
  notice(text: string, error?: boolean): void;
}

/** Which drive a local file goes into, from its name and size. */
export function guessKind(name: string, size: number): MediumKind {
  if (/\.iso$/i.test(name)) return 'cdrom';
  if (FLOPPY_SIZES.has(size) || /\.(ima|vfd|flp)$/i.test(name)) return 'floppy';
  return 'disk';
}

export function describeChoice(c: ImageChoice): string {
  const kind = KIND_LABEL[c.kind];
  switch (c.source) {
    case 'builtin': return `${c.name} (built-in, ${kind})`;
    case 'url': return `${c.url} (${kind})`;
    case 'file': return `${c.name} (local file, ${kind})`;
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function kindSelect(id: string, withAuto: boolean): HTMLSelectElement {
  const s = el('select', { id });
  if (withAuto) s.append(el('option', { value: 'auto', textContent: 'drive: from the file' }));
  for (const k of ['disk', 'cdrom', 'floppy'] as MediumKind[]) s.append(el('option', { value: k, textContent: `as ${KIND_LABEL[k]}` }));
  return s;
}

function fmtBytes(n: number): string {
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} B`;
}

export class ImageChooser {
  private readonly builtin = el('select', { id: 'img-builtin' });
  private readonly fileInput = el('input', { type: 'file', id: 'img-file' });
  private readonly fileKind = kindSelect('img-file-kind', true);
  private readonly urlInput = el('input', { type: 'url', id: 'img-url', placeholder: 'https://example.org/disk.img', size: 40 });
  private readonly urlKind = kindSelect('img-url-kind', false);
  private readonly currentEl = el('span', { id: 'img-current' });
  private readonly progressEl = el('span', { id: 'img-progress', className: 'hint' });
  private readonly recentEl = el('ul', { id: 'img-recent' });
  private recent: ImageChoice[] = [];

  constructor(root: HTMLElement, dropTarget: HTMLElement, private readonly host: ChooserHost) {
    const bootBuiltin = el('button', { type: 'button', id: 'img-boot-builtin', textContent: 'Boot' });
    bootBuiltin.onclick = () => {
      const [name, kind] = this.builtin.value.split('\n');
      if (name) this.choose({ source: 'builtin', name, kind: kind as MediumKind }).catch(() => {});
    };
    this.fileInput.setAttribute('aria-describedby', 'img-file-hint');
    this.fileInput.onchange = () => {
      const f = this.fileInput.files?.[0];
      if (f) this.chooseFile(f).catch(() => {});
      this.fileInput.value = '';
    };
    const openUrl = el('button', { type: 'button', id: 'img-open-url', textContent: 'Open URL' });
    const submitUrl = (): void => {
      const url = this.urlInput.value.trim();
      if (!url) return;
      this.choose({ source: 'url', url, kind: this.urlKind.value as MediumKind }).catch(() => {});
    };
    openUrl.onclick = submitUrl;
    this.urlInput.onkeydown = (e) => { if (e.key === 'Enter') submitUrl(); };
    const discard = el('button', { type: 'button', id: 'img-discard', textContent: 'Discard changes (powers off)', title: "Forget every write the guest made to this image (kept in the browser's IndexedDB). A running machine is powered off first." });
    discard.onclick = () => void this.discard().catch(() => {});
    const exp = el('button', { type: 'button', id: 'img-export', textContent: 'Export disk', title: 'Download the image with the guest\'s changes merged in' });
    exp.onclick = () => void this.exportDisk().catch(() => {});

    const label = (text: string, forId: string): HTMLLabelElement => el('label', { htmlFor: forId, textContent: text });
    root.replaceChildren(
      el('p', {}, 'Booting from: ', this.currentEl, ' ', discard, ' ', exp, ' ', this.progressEl),
      el('div', { className: 'imgrow' }, label('Built-in image ', 'img-builtin'), this.builtin, ' ', bootBuiltin),
      el('div', { className: 'imgrow' }, label('Local file ', 'img-file'), this.fileInput, ' ', label('', 'img-file-kind'), this.fileKind,
        el('span', { id: 'img-file-hint', className: 'hint' }, ' (or drop an image onto the screen; read in place, any size)')),
      el('div', { className: 'imgrow' }, label('URL ', 'img-url'), this.urlInput, ' ', label('', 'img-url-kind'), this.urlKind, ' ', openUrl,
        el('span', { className: 'hint' }, ' (the server must allow range requests; cross-origin servers need CORS)')),
      el('div', { className: 'imgrow' }, el('span', { textContent: 'Recently used' }), this.recentEl),
    );
    this.fileKind.setAttribute('aria-label', 'drive for the local file');
    this.urlKind.setAttribute('aria-label', 'drive for the URL');

    dropTarget.addEventListener('dragover', (e) => {
      if (e.dataTransfer?.types.includes('Files')) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }
    });
    dropTarget.addEventListener('drop', (e) => {
      const f = e.dataTransfer?.files[0];
      if (!f) return;
      e.preventDefault();
      this.chooseFile(f).catch(() => {});
    });
    host.vm.onEvent((m) => {
      if (m.t !== 'media-progress') return;
      const of = m.size > 0 ? ` of ${fmtBytes(m.size)}` : '';
      this.progressEl.textContent = `${fmtBytes(m.bytesFetched)}${of} fetched in ${m.requests} range request${m.requests === 1 ? '' : 's'}`;
    });
  }

  /** Fill the built-in list from the manifest and load the recently-used list. */
  async init(): Promise<void> {
    try {
      const r = await fetch('/images/manifest.json');
      const files = r.ok ? ((await r.json()) as { files?: { name: string; role?: string; size: number; description?: string }[] }).files ?? [] : [];
      for (const f of files) {
        const kind = f.role ? ROLE_KIND[f.role] : undefined;
        if (!kind) continue;
        this.builtin.append(el('option', { value: `${f.name}\n${kind}`, textContent: `${f.name} — ${KIND_LABEL[kind]}, ${fmtBytes(f.size)}`, title: f.description ?? '' }));
      }
    } catch { /* the machine's own start reports a missing manifest */ }
    try {
      const raw: unknown = await get(RECENT_KEY);
      this.recent = Array.isArray(raw) ? raw.filter((x) => validateImage(x) === undefined).map((x) => copyImage(x as ImageChoice)) : [];
    } catch {
      this.recent = [];
    }
    this.refresh();
  }

  /** Show the current choice and the recent list. */
  refresh(): void {
    const c = this.host.current();
    this.currentEl.textContent = describeChoice(c);
    if (c.source === 'builtin') this.builtin.value = `${c.name}\n${c.kind}`;
    const items = this.recent.map((r) => {
      const file = r.source === 'file';
      const b = el('button', { type: 'button', textContent: file ? 'pick again' : 'Boot' });
      b.setAttribute('aria-label', `${file ? 'Pick again' : 'Boot'}: ${describeChoice(r)}`);
      b.onclick = () => {
        if (file) {
          this.fileKind.value = r.kind;
          this.fileInput.click();
        } else this.choose(r).catch(() => {});
      };
      return el('li', {}, `${describeChoice(r)} `, b);
    });
    this.recentEl.replaceChildren(...(items.length ? items : [el('li', { className: 'hint', textContent: 'none yet' })]));
  }

  async chooseFile(f: File): Promise<void> {
    const kind = this.fileKind.value === 'auto' ? guessKind(f.name, f.size) : (this.fileKind.value as MediumKind);
    await this.choose({ source: 'file', name: f.name, size: f.size, lastModified: f.lastModified, kind }, f);
  }

  async choose(choice: ImageChoice, file?: File): Promise<void> {
    this.progressEl.textContent = '';
    this.recent = [choice, ...this.recent.filter((r) => JSON.stringify(r) !== JSON.stringify(choice))].slice(0, RECENT_MAX);
    await set(RECENT_KEY, this.recent).catch(() => {});
    try {
      await this.host.choose(choice, file);
    } finally {
      this.refresh();
    }
  }

  /** The current choice with its File, or an error when a local file must be picked again. */
  private media(): { choice: ImageChoice; file: File | undefined } {
    const choice = this.host.current();
    const file = this.host.file();
    if (choice.source === 'file' && !file) throw new Error(`pick ${choice.name} again first (a page cannot reopen a local file by itself)`);
    return { choice, file };
  }

  async discard(): Promise<void> {
    try {
      const { choice, file } = this.media();
      await this.host.vm.remote.discardChanges(choice, file);
      this.host.notice(`The changes to ${describeChoice(choice)} were discarded${choice.kind === 'cdrom' ? ' (a CD-ROM has none)' : ''}; the machine is off.`);
    } catch (e) {
      this.host.notice(`Could not discard the changes: ${e instanceof Error ? e.message : String(e)}`, true);
      throw e;
    }
  }

  /**
   * Download the merged image (base + the guest's writes). The worker sends it in 4 MiB chunks,
   * each wrapped in its own Blob, so the page never holds one array of the whole image (Chromium
   * keeps large blobs on disk); the final Blob is the concatenation.
   */
  async exportDisk(): Promise<{ name: string; size: number }> {
    let handle: number | undefined;
    try {
      const { choice, file } = this.media();
      const ex = await this.host.vm.remote.exportOpen(choice, file);
      handle = ex.handle;
      const parts: Blob[] = [];
      for (let off = 0; off < ex.size; off += EXPORT_CHUNK) {
        const chunk = await this.host.vm.remote.exportRead(ex.handle, off, EXPORT_CHUNK);
        parts.push(new Blob([chunk as Uint8Array<ArrayBuffer>]));
        this.progressEl.textContent = `exporting: ${fmtBytes(off + chunk.length)} of ${fmtBytes(ex.size)}`;
      }
      const blob = new Blob(parts, { type: 'application/octet-stream' });
      const a = el('a', { href: URL.createObjectURL(blob), download: ex.name });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
      this.progressEl.textContent = `exported ${ex.name} (${fmtBytes(ex.size)})`;
      return { name: ex.name, size: ex.size };
    } catch (e) {
      this.host.notice(`Could not export the disk: ${e instanceof Error ? e.message : String(e)}`, true);
      throw e;
    } finally {
      if (handle !== undefined) await this.host.vm.remote.exportClose(handle).catch(() => {});
    }
  }
}
