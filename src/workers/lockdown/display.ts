/** Locks the global scope down for the 'display' class. Imported first by display.worker.ts, so it runs before any device code is evaluated. */
import { lockdown } from '../lockdown.js';
import { setReport } from './report.js';

setReport(lockdown('display'));
