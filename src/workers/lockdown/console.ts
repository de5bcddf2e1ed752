/** Locks the global scope down for the 'console' class. Imported first by console.worker.ts, so it runs before any device code is evaluated. */
import { lockdown } from '../lockdown.js';
import { setReport } from './report.js';

setReport(lockdown('console'));
