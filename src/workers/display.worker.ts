/**
 * Entry of the 'display' device worker (browser). The first import locks the global scope down
 * (docs/isolation.md); the worker script is served with the 'display' Content-Security-Policy
 * (src/node/worker-csp.ts). Then it answers control calls over comlink and serves its channel.
 */
import './lockdown/display.js';
import { startBrowserDeviceWorker } from './device-entry.js';

startBrowserDeviceWorker();
