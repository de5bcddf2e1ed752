/**
 * Checks shared by every block backend: image sizes and request ranges.
 *
 * Policy: a hard-disk or floppy image must be a whole number of 512-byte sectors; a CD-ROM
 * (ISO 9660 / El Torito) image a whole number of 2048-byte sectors. Anything else is rejected
 * with BlockError 'bad-image' before the guest sees it. Requests must lie inside the image
 * (BlockError 'out-of-range'); offsets and lengths must be non-negative safe integers.
 */
import { BlockError } from './api.js';

export const SECTOR_SIZE = 512;
export const CD_SECTOR_SIZE = 2048;

/** What the image is for, which decides the size granularity. */
export type ImageKind = 'disk' | 'cdrom';

export function sectorSizeOf(kind: ImageKind): number {
  return kind === 'cdrom' ? CD_SECTOR_SIZE : SECTOR_SIZE;
}

/** Throw BlockError 'bad-image' unless `size` is a usable image size for `kind`. */
export function checkImageSize(size: number, kind: ImageKind, name: string): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new BlockError('bad-image', `${name}: image size ${size} is not a valid byte count`);
  }
  if (size === 0) throw new BlockError('bad-image', `${name}: the image is empty`);
  const unit = sectorSizeOf(kind);
  if (size % unit !== 0) {
    const what = kind === 'cdrom' ? 'CD-ROM images must be a whole number of 2048-byte sectors' : 'disk images must be a whole number of 512-byte sectors';
    throw new BlockError(
      'bad-image',
      `${name}: size ${size} bytes is not a multiple of ${unit} (${what}; ${size % unit} stray bytes — truncated or not a raw image?)`,
    );
  }
}

/** Throw BlockError 'out-of-range' unless [offset, offset+length) lies inside an image of `size`. */
export function checkRange(size: number, offset: number, length: number, name: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new BlockError('out-of-range', `${name}: invalid request offset ${offset} length ${length}`);
  }
  if (offset + length > size) {
    throw new BlockError('out-of-range', `${name}: request [${offset}, ${offset + length}) past the end of the ${size}-byte image`);
  }
}

/** Human-readable byte count for messages. */
export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
