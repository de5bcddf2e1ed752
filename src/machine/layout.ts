/**
 * Layout of the one shared WebAssembly.Memory that holds the CPU core's data, guest RAM, VRAM
 * and ROM images. Every worker that is granted the memory uses these offsets; nothing else
 * about the core's internals is visible outside src/core.
 *
 *   [0, CORE_RESERVED)            the core's own data: AssemblyScript statics and stack,
 *                                 registers, the software TLB, the physical page map
 *   [ramOffset, +ramSize)         guest RAM (physical address 0 .. ramSize-1)
 *   [vramOffset, +vramSize)       VGA / VBE video memory (the display worker's framebuffer)
 *   [romOffset, +romSize)         ROM images: system BIOS, VGA BIOS, option ROMs
 */

export const MIB = 1024 * 1024;
export const WASM_PAGE = 65536;

/** Bytes at the bottom of the memory owned by the CPU core. */
export const CORE_RESERVED = 16 * MIB;

export interface MemoryLayout {
  ramOffset: number;
  ramSize: number;
  vramOffset: number;
  vramSize: number;
  romOffset: number;
  romSize: number;
  /** Total bytes of the memory (a multiple of the wasm page size). */
  totalBytes: number;
}

export const MIN_RAM_MIB = 16;
export const MAX_RAM_MIB = 1024;

export function computeLayout(ramMiB: number, vramMiB = 16, romMiB = 2): MemoryLayout {
  if (!Number.isInteger(ramMiB) || ramMiB < MIN_RAM_MIB || ramMiB > MAX_RAM_MIB) {
    throw new RangeError(`RAM size must be a whole number of MiB from ${MIN_RAM_MIB} to ${MAX_RAM_MIB}, got ${ramMiB}`);
  }
  const ramOffset = CORE_RESERVED;
  const ramSize = ramMiB * MIB;
  const vramOffset = ramOffset + ramSize;
  const vramSize = vramMiB * MIB;
  const romOffset = vramOffset + vramSize;
  const romSize = romMiB * MIB;
  const totalBytes = romOffset + romSize;
  return { ramOffset, ramSize, vramOffset, vramSize, romOffset, romSize, totalBytes };
}
