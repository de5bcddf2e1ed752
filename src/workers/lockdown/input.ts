/** Locks the global scope down for the 'input' class. Imported first by input.worker.ts, so it runs before any device code is evaluated. */
import { lockdown } from '../lockdown.js';
import { setReport } from './report.js';

setReport(lockdown('input'));
