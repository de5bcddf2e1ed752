// Bootstrap for TypeScript worker_threads: registers tsx's ESM loader inside the new thread,
// then imports the TypeScript entry named in workerData.entry. (Node 20 does not apply
// `execArgv: ['--import', 'tsx']` to a worker's .ts entry module, so the hook is registered here.)
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
