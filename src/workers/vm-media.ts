/**
 * The boot medium of the browser VM (CPU worker): opens the image the page chose — a built-in
 * image from /images/manifest.json, an image on a web server (HTTP range requests, src/block/url.ts)
 * or a local File (lazy Blob slices, src/block/blob.ts) — and puts a persistent copy-on-write
 * overlay on it (src/block/overlay.ts over the IndexedDB store, block-idb-store.ts) so the guest's
 * writes survive a reload. The overlay is keyed by the image's identity: `builtin:<name>:<sha256>`,
 * `url:<url>:<size>[:<etag>]`, `file:<name>:<size>:<mtime>`. CD-ROMs are read-only (ATAPI) and get
 * no overlay. Also turns the medium into the machine's storage device and boot order.
 */
/// <reference lib="webworker" />
import { BlockError, type BlockBackend, type BlockProgress } from '../block/api.js';
import { BlobBlock } from '../block/blob.js';
import { OverlayBlock } from '../block/overlay.js';
import { UrlBlock, type FetchLike } from '../block/url.js';
import type { BootDevice, DeviceConfig } from '../machine/config.js';
import { IdbOverlayStore } from './block-idb-store.js';
import { imagesBase, type ManifestFile } from './machine-host.js';
import type { ImageChoice, MediumKind } from './vm-settings.js';

/** A backend under another identity (built-in images are keyed by their manifest hash). */
class IdentifiedBlock implements BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  constructor(private readonly inner: BlockBackend, readonly id: string) {
    this.size = inner.size;
    this.readOnly = inner.readOnly;
  }
  read(offset: number, into: Uint8Array): Promise<void> { return this.inner.read(offset, into); }
  write(offset: number, from: Uint8Array): Promise<void> { return this.inner.write(offset, from); }
  flush(): Promise<void> { return this.inner.flush(); }
  async close(): Promise<void> { await this.inner.close?.(); }
}

export interface OpenedMedium {
  choice: ImageChoice;
  /** The read-only image. */
  base: BlockBackend;
  /** The guest's writes (disk, floppy); undefined for a CD-ROM. */
  overlay: OverlayBlock | undefined;
  /** What the drive reads and writes. */
  backend: BlockBackend;
  /** A short name for messages and the exported file. */
  name: string;
}

/** Manifest roles of the built-in boot media and the drive each goes into. */
export const ROLE_KIND: Record<string, MediumKind> = { 'hard-disk': 'disk', cdrom: 'cdrom', floppy: 'floppy' };

let store: IdbOverlayStore | undefined;
/** The worker's one IndexedDB overlay store. */
export function overlayStore(): IdbOverlayStore {
  return (store ??= new IdbOverlayStore());
}

export interface OpenMediumOptions {
  manifest: ManifestFile[];
  file?: File;
  /** Fetch through the page, for cross-origin URLs (the CPU worker may connect to its own origin only). */
  pageFetch?: FetchLike;
  onProgress?: (url: string, size: number, p: BlockProgress) => void;
}

function blockKind(kind: MediumKind): 'disk' | 'cdrom' {
  return kind === 'cdrom' ? 'cdrom' : 'disk';
}

async function openBase(choice: ImageChoice, o: OpenMediumOptions): Promise<{ base: BlockBackend; name: string }> {
  switch (choice.source) {
    case 'builtin': {
      const f = o.manifest.find((x) => x.name === choice.name);
      if (!f) throw new Error(`${choice.name} is not in /images/manifest.json — run \`npm run images\``);
      let size = 0;
      const url = await UrlBlock.open(imagesBase() + encodeURIComponent(choice.name), {
        fetch: (u, init) => fetch(u, init),
        kind: blockKind(choice.kind),
        size: f.size,
        onProgress: (p) => o.onProgress?.(choice.name, size, p),
      });
      size = url.size;
      return { base: new IdentifiedBlock(url, `builtin:${choice.name}:${f.sha256.toLowerCase()}`), name: choice.name };
    }
    case 'url': {
      let parsed: URL;
      try {
        parsed = new URL(choice.url);
      } catch {
        throw new BlockError('not-found', `"${choice.url}" is not a valid URL`);
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new BlockError('unsupported', `${choice.url}: only http(s) URLs can be read`);
      let size = 0;
      const sameOrigin = parsed.origin === self.location.origin;
      const url = await UrlBlock.open(parsed.href, {
        fetch: sameOrigin || !o.pageFetch ? (u, init) => fetch(u, init) : o.pageFetch,
        kind: blockKind(choice.kind),
        onProgress: (p) => o.onProgress?.(parsed.href, size, p),
      });
      size = url.size;
      return { base: url, name: parsed.pathname.split('/').pop() || parsed.host };
    }
    case 'file': {
      const f = o.file;
      if (!f) throw new Error(`the local file ${choice.name} must be picked again (a page cannot reopen a file without you)`);
      if (f.name !== choice.name || f.size !== choice.size) throw new Error(`the file given (${f.name}, ${f.size} bytes) is not the chosen ${choice.name} (${choice.size} bytes)`);
      return { base: new BlobBlock(f, { kind: blockKind(choice.kind) }), name: f.name };
    }
  }
}

/** Open the medium and, for disks and floppies, its persistent overlay. */
export async function openMedium(choice: ImageChoice, o: OpenMediumOptions): Promise<OpenedMedium> {
  const { base, name } = await openBase(choice, o);
  if (choice.kind === 'cdrom') return { choice, base, overlay: undefined, backend: base, name };
  try {
    const overlay = await OverlayBlock.open(base, { store: overlayStore() });
    return { choice, base, overlay, backend: overlay, name };
  } catch (e) {
    await base.close?.();
    if (e instanceof BlockError) throw e;
    throw new Error(`the saved changes of ${name} (IndexedDB) cannot be opened: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Close the medium (pending overlay writes complete first). */
export async function closeMedium(m: OpenedMedium): Promise<void> {
  await m.overlay?.close().catch(() => undefined);
  await m.base.close?.();
}

/** The storage device holding the medium, and the boot order (the chosen medium first). */
export function mediumDevices(m: OpenedMedium): { devices: DeviceConfig[]; bootOrder: BootDevice[] } {
  switch (m.choice.kind) {
    case 'disk':
      return { devices: [{ type: 'piix3-ide', id: 'ide', props: { hda: 'ide-hd' }, backend: { hda: m.backend } }], bootOrder: ['disk', 'cdrom', 'floppy'] };
    case 'cdrom':
      return { devices: [{ type: 'piix3-ide', id: 'ide', props: { hdc: 'ide-cd' }, backend: { hdc: m.backend } }], bootOrder: ['cdrom', 'disk', 'floppy'] };
    case 'floppy':
      return {
        devices: [
          { type: 'piix3-ide', id: 'ide' },
          { type: 'isa-fdc', id: 'fdc', props: { fda: 'auto' }, backend: { fda: m.backend } },
        ],
        bootOrder: ['floppy', 'disk', 'cdrom'],
      };
  }
}
