/**
 * The VM settings record (what the page's settings panel saves and the CPU worker builds the
 * machine from) and its defaults. Plain data and no host APIs: the page, the worker and the
 * unit tests (test/ui) all import it.
 */
import type { FailureResponse } from '../channel/protocol.js';

export type VmPlacement = 'monolithic' | 'isolated';
export type VmPolicy = 'none' | 'warn' | 'strict';

/** What the settings panel saves (idb-keyval) and the VM is built from. */
export interface VmSettings {
  /** Guest RAM in MiB. */
  ramMiB: number;
  placement: VmPlacement;
  failureResponse: FailureResponse;
  policy: VmPolicy;
  /** A network device type from the registry, or 'none'. */
  nic: string;
  /** Power the machine on when the page loads. */
  autostart: boolean;
}

export const DEFAULT_SETTINGS: VmSettings = {
  ramMiB: 128,
  placement: 'monolithic',
  failureResponse: 'stop',
  policy: 'none',
  nic: 'none',
  autostart: true,
};

export const RAM_CHOICES = [32, 64, 128, 256, 512];
