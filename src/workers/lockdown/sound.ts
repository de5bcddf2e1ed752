/** Locks the global scope down for the 'sound' class. Imported first by sound.worker.ts, so it runs before any device code is evaluated. */
import { lockdown } from '../lockdown.js';
import { setReport } from './report.js';

setReport(lockdown('sound'));
