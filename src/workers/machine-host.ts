/**
 * The machine's host services in the browser's CPU worker (the counterpart of
 * src/cli/node-host.ts): performance.now() as the host clock, setTimeout for sleeping, a
 * MessageChannel round for yielding (no 4 ms clamping), and the shared WebAssembly.Memory plus
 * the CPU core from build/core.wasm. Also fetches the images the page names (public/images,
 * served at /images/, listed in /images/manifest.json) with errors that say what to do.
 */
/// <reference lib="webworker" />
import type { MachineHost, MachineLogger } from '../machine/config.js';
import type { DeviceWorkerLauncher } from '../channel/protocol.js';
import type { CpuCoreApi, CpuHost } from '../machine/cpu-api.js';
import { CpuCore } from '../machine/cpu-core.js';
import type { MemoryLayout } from '../machine/layout.js';

/** Host time comparable across threads (timeOrigin is a getter: read it once). */
const timeOrigin = performance.timeOrigin;

const coreUrl = new URL('../../build/core.wasm', import.meta.url);

/** One file of /images/manifest.json (scripts/images). */
export interface ManifestFile {
  name: string;
  size: number;
  sha256: string;
  role?: string;
  default?: boolean;
  description?: string;
}

/** A MessageChannel round: a macrotask that lets comlink calls and fetches run. */
function macrotask(): () => Promise<void> {
  const queue: (() => void)[] = [];
  const mc = new MessageChannel();
  mc.port1.onmessage = () => {
    for (const cb of queue.splice(0)) cb();
  };
  return () => new Promise<void>((resolve) => {
    queue.push(resolve);
    if (queue.length === 1) mc.port2.postMessage(0);
  });
}

let coreBytes: Promise<Uint8Array> | undefined;

/** build/core.wasm, fetched once per worker. */
export function loadCoreBytes(): Promise<Uint8Array> {
  coreBytes ??= (async () => {
    const r = await fetch(coreUrl);
    if (!r.ok) throw new Error(`cannot fetch the CPU core (${coreUrl.pathname}: HTTP ${r.status}); build it with \`npm run build:core\``);
    return new Uint8Array(await r.arrayBuffer());
  })();
  coreBytes.catch(() => { coreBytes = undefined; });
  return coreBytes;
}

export async function createBrowserCore(layout: MemoryLayout, cpuHost: CpuHost): Promise<{ core: CpuCoreApi; buffer: ArrayBufferLike }> {
  const bytes = await loadCoreBytes();
  const pages = layout.totalBytes / 65536;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const core = new CpuCore(bytes, memory, cpuHost);
  return { core, buffer: memory.buffer };
}

export function browserMachineHost(opts: { launcher?: DeviceWorkerLauncher; logger?: MachineLogger } = {}): MachineHost {
  const yieldOnce = macrotask();
  return {
    nowNs: () => performance.now() * 1e6,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    yieldToHost: yieldOnce,
    createCore: createBrowserCore,
    hostNowMs: () => timeOrigin + performance.now(),
    launcher: opts.launcher,
    logger: opts.logger,
  };
}

/** The base URL of the images (/images/ next to the page). */
export function imagesBase(): string {
  return new URL('/images/', self.location.origin).href;
}

/** Read /images/manifest.json; a missing manifest means the images were never built. */
export async function fetchManifest(): Promise<ManifestFile[]> {
  let r: Response;
  try {
    r = await fetch(imagesBase() + 'manifest.json');
  } catch (e) {
    throw new Error(`cannot fetch /images/manifest.json (${String(e)})`);
  }
  if (r.status === 404) throw new Error('no guest images: /images/manifest.json is missing — run `npm run images` (then rebuild)');
  if (!r.ok) throw new Error(`cannot fetch /images/manifest.json: HTTP ${r.status}`);
  let m: unknown;
  try {
    m = await r.json();
  } catch {
    throw new Error('/images/manifest.json is not JSON — run `npm run images` again');
  }
  const files = (m as { files?: unknown }).files;
  if (!Array.isArray(files)) throw new Error('/images/manifest.json has no file list — run `npm run images` again');
  return files as ManifestFile[];
}

/** Fetch a whole (small) image, such as a BIOS. */
export async function fetchImage(name: string): Promise<Uint8Array> {
  let r: Response;
  try {
    r = await fetch(imagesBase() + encodeURIComponent(name));
  } catch (e) {
    throw new Error(`cannot fetch /images/${name} (${String(e)})`);
  }
  if (r.status === 404) throw new Error(`/images/${name} is missing — run \`npm run images\``);
  if (!r.ok) throw new Error(`cannot fetch /images/${name}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Hex sha256 of bytes (WebCrypto), for the firmware-provenance check. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}
