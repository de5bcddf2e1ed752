/** Locks the global scope down for the 'storage' class. Imported first by storage.worker.ts, so it runs before any device code is evaluated. */
import { lockdown } from '../lockdown.js';
import { setReport } from './report.js';

setReport(lockdown('storage'));
