/**
 * Entry of the 'console' device worker (browser). The first import locks the global scope down
 * (docs/isolation.md); the worker script is served with the 'console' Content-Security-Policy
 * (src/node/worker-csp.ts). Then it answers control calls over comlink and serves its channel.
 */
import './lockdown/console.js';
import { startBrowserDeviceWorker } from './device-entry.js';

startBrowserDeviceWorker();
