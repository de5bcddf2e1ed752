/**
 * Entry of the 'display' device worker (browser). The first import locks the global scope down
 * (docs/isolation.md); the worker script is served with the 'display' Content-Security-Policy
 * (src/node/worker-csp.ts). Then it answers control calls over comlink (including the screen
 * access of its display devices) and serves its channel. A VGA whose backend is the page's
 * OffscreenCanvas paints it from here (canvas-sink.ts).
 */
import './lockdown/display.js';
import { startBrowserDeviceWorker } from './device-entry.js';
import { registerCanvasAdapter } from './canvas-sink.js';

registerCanvasAdapter();
startBrowserDeviceWorker();
