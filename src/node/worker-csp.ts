/**
 * Content-Security-Policy per worker class (layer 1 of docs/isolation.md). A dedicated worker
 * takes its CSP from the HTTP response that serves its script, so each class's entry is served
 * with its own policy: no network and no nested workers for console/input/display/sound,
 * same-origin connections for storage (disk images by range request), only the relay for
 * network; the CPU worker may compile wasm, fetch build/core.wasm and start device workers.
 *
 * A Vite plugin adds the header in the dev server (source paths /src/workers/<cls>.worker.ts)
 * and the preview server (built names assets/workers/<cls>.worker-<hash>.js, fixed by
 * vite.config.ts). A static host must send the same headers (docs/isolation.md).
 */
import type { Plugin } from 'vite';

export type CspWorker = 'cpu' | 'storage' | 'display' | 'console' | 'input' | 'network' | 'sound';

/** The network relay the network worker may connect to (BULKHEAD_NETWORK_RELAY, e.g. wss://relay.example:8443). */
export function relayOrigin(): string {
  return process.env.BULKHEAD_NETWORK_RELAY?.trim() || "'none'";
}

const base = "default-src 'none'; script-src 'self'; worker-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'";

/** The policy each worker entry is served with. */
export function workerCsp(worker: CspWorker): string {
  switch (worker) {
    case 'cpu':
      return "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";
    case 'storage':
      return `${base}; connect-src 'self'`;
    case 'network':
      return `${base}; connect-src ${relayOrigin()}`;
    case 'display':
    case 'console':
    case 'input':
    case 'sound':
      return `${base}; connect-src 'none'`;
  }
}

const CLASSES = 'cpu|storage|display|console|input|network|sound';
/** Dev server: the worker entry's source path. */
const DEV_PATH = new RegExp(`^/src/workers/(${CLASSES})\\.worker\\.ts$`);
/** Build / preview: the predictable built name (see worker.rolldownOptions in vite.config.ts). */
const BUILT_PATH = new RegExp(`^/assets/workers/(${CLASSES})\\.worker-[A-Za-z0-9_-]+\\.js$`);

/** Which worker a request path is the entry of, if any. */
export function workerOfPath(url: string): CspWorker | undefined {
  const path = url.split('?')[0];
  const m = DEV_PATH.exec(path) ?? BUILT_PATH.exec(path);
  return m ? (m[1] as CspWorker) : undefined;
}

/** Output naming for worker bundles that BUILT_PATH matches. */
export const workerOutputNames = {
  entryFileNames: 'assets/workers/[name]-[hash].js',
  chunkFileNames: 'assets/workers/chunks/[name]-[hash].js',
  assetFileNames: 'assets/workers/assets/[name]-[hash][extname]',
};

type Middleware = (req: { url?: string }, res: { setHeader(name: string, value: string): void }, next: () => void) => void;

const addCsp: Middleware = (req, res, next) => {
  const w = req.url ? workerOfPath(req.url) : undefined;
  if (w) res.setHeader('Content-Security-Policy', workerCsp(w));
  next();
};

/** Vite plugin: each worker entry gets its class's Content-Security-Policy header. */
export function workerCspPlugin(): Plugin {
  return {
    name: 'bulkhead-worker-csp',
    configureServer(server) {
      server.middlewares.use(addCsp);
    },
    configurePreviewServer(server) {
      server.middlewares.use(addCsp);
    },
  };
}
