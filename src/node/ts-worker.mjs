// Bootstrap for TypeScript worker_threads: registers tsx's ESM loader inside the new thread,
// then imports the TypeScript entry named in workerData.entry. (Node 20 does not apply
// `execArgv: ['--import', 'tsx']` to a worker's .ts entry module, so the hook is registered here.)
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
// Modules to load before the entry (tests: `fake-indexeddb/auto` stands in for the IndexedDB a
// browser worker has, so the lockdown's keep/remove decision can be tested on a real one).
for (const m of workerData.preload ?? []) await import(m);
await import(workerData.entry);
