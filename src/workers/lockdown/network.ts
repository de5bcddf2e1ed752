/** Locks the global scope down for the 'network' class. Imported first by network.worker.ts, so it runs before any device code is evaluated. */
import { lockdown } from '../lockdown.js';
import { setReport } from './report.js';

setReport(lockdown('network'));
