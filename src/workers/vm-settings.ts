/**
 * The VM settings record (what the page's settings panel saves and the CPU worker builds the
 * machine from) and its defaults. Plain data and no host APIs: the page, the worker and the
 * unit tests (test/ui) all import it.
 */
import type { FailureResponse } from '../channel/protocol.js';

export type VmPlacement = 'monolithic' | 'isolated';
export type VmPolicy = 'none' | 'warn' | 'strict';

/** What drive a boot medium goes into: IDE disk (hda), IDE CD-ROM (hdc) or floppy A: (isa-fdc). */
export type MediumKind = 'disk' | 'cdrom' | 'floppy';
export const MEDIUM_KINDS: readonly MediumKind[] = ['disk', 'cdrom', 'floppy'];

/**
 * The boot medium (src/ui/image-chooser.ts): a built-in image from /images/manifest.json, an
 * image on a web server (HTTP range requests), or a local file. A local file cannot be reopened
 * without the user, so the saved choice keeps only its identity (name, size, mtime) and the
 * page asks for it again.
 */
export type ImageChoice =
  | { source: 'builtin'; name: string; kind: MediumKind }
  | { source: 'url'; url: string; kind: MediumKind }
  | { source: 'file'; name: string; size: number; lastModified: number; kind: MediumKind };

export const DEFAULT_IMAGE: ImageChoice = { source: 'builtin', name: 'linux.img', kind: 'disk' };

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
  /** The boot medium; absent: DEFAULT_IMAGE (linux.img as hda). */
  image?: ImageChoice;
}

export const DEFAULT_SETTINGS: VmSettings = {
  ramMiB: 128,
  placement: 'isolated',
  failureResponse: 'stop',
  policy: 'none',
  nic: 'none',
  autostart: true,
};

export const RAM_CHOICES = [32, 64, 128, 256, 512];
