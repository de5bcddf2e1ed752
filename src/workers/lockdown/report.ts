/** Holds the lockdown report of this worker between the lockdown module and the entry. */
import type { LockdownReport } from '../lockdown.js';

let report: LockdownReport | undefined;

export function setReport(r: LockdownReport): void {
  if (report) throw new Error('lockdown ran twice in one worker');
  report = r;
}

export function getReport(): LockdownReport {
  if (!report) throw new Error('device worker started without lockdown');
  return report;
}
