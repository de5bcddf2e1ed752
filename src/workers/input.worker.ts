/**
 * Entry of the 'input' device worker (browser). The first import locks the global scope down
 * (docs/isolation.md); the worker script is served with the 'input' Content-Security-Policy
 * (src/node/worker-csp.ts). Then it answers control calls over comlink and serves its channel.
 */
import './lockdown/input.js';
import { startBrowserDeviceWorker } from './device-entry.js';

startBrowserDeviceWorker();
