/** In-memory and Blob backends, and the size/range validation policy shared by all backends. */
import { describe, expect, it } from 'vitest';
import { BlockError } from '../../src/block/api.js';
import { MemoryBlock } from '../../src/block/memory.js';
import { BlobBlock } from '../../src/block/blob.js';
import { checkImageSize } from '../../src/block/validate.js';
import { expectBytes } from './bytes.js';

function pattern(n: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 9)) & 0xff);
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BlockError);
    return (e as BlockError).code;
  }
  return 'resolved';
}

describe('image size policy', () => {
  it('accepts whole sectors and rejects the rest with a clear message', () => {
    expect(() => checkImageSize(1474560, 'disk', 'floppy.img')).not.toThrow();
    expect(() => checkImageSize(2048 * 10, 'cdrom', 'cd.iso')).not.toThrow();
    for (const [size, kind] of [[1000, 'disk'], [512 * 3, 'cdrom'], [0, 'disk'], [-512, 'disk'], [1.5, 'disk']] as const) {
      let err: unknown;
      try {
        checkImageSize(size, kind, 'x.img');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BlockError);
      expect((err as BlockError).code).toBe('bad-image');
      expect((err as BlockError).message).toContain('x.img');
    }
    try {
      checkImageSize(1000, 'disk', 'odd.img');
    } catch (e) {
      expect((e as Error).message).toMatch(/not a multiple of 512.*488 stray bytes/);
    }
  });
});

describe('MemoryBlock', () => {
  it('reads and writes inside the image; refuses out-of-range requests', async () => {
    const data = pattern(4096);
    const b = new MemoryBlock(data.slice(), { name: 'm' });
    const buf = new Uint8Array(1000);
    await b.read(100, buf);
    expectBytes(buf, data.subarray(100, 1100));
    await b.write(4000, new Uint8Array(96).fill(0xee));
    await b.read(3990, buf.subarray(0, 106));
    expectBytes(buf.subarray(0, 10), data.subarray(3990, 4000));
    expect(buf.subarray(10, 106).every((x) => x === 0xee)).toBe(true);
    expect(await code(b.read(4000, new Uint8Array(97)))).toBe('out-of-range');
    expect(await code(b.write(-1, new Uint8Array(1)))).toBe('out-of-range');
    expect(await code(b.read(2 ** 60, new Uint8Array(1)))).toBe('out-of-range');
  });

  it('read-only images refuse writes; bad sizes are refused at open', async () => {
    const b = new MemoryBlock(new Uint8Array(1024), { readOnly: true });
    expect(await code(b.write(0, new Uint8Array(512)))).toBe('read-only');
    expect(() => new MemoryBlock(new Uint8Array(1000))).toThrow(BlockError);
    expect(() => new MemoryBlock(new Uint8Array(4096), { kind: 'cdrom' })).not.toThrow();
    expect(() => new MemoryBlock(new Uint8Array(4096 + 512), { kind: 'cdrom' })).toThrow(/2048/);
  });
});

describe('BlobBlock', () => {
  it('reads slices of a Blob and stays read-only', async () => {
    const data = pattern(8192);
    const blob = new Blob([data]);
    const b = new BlobBlock(blob, { name: 'disk.img' });
    expect(b.size).toBe(8192);
    expect(b.readOnly).toBe(true);
    expect(b.id).toContain('disk.img');
    const buf = new Uint8Array(3000);
    await b.read(5000, buf);
    expectBytes(buf, data.subarray(5000, 8000));
    expect(await code(b.write(0, new Uint8Array(512)))).toBe('read-only');
    expect(await code(b.read(8000, new Uint8Array(512)))).toBe('out-of-range');
    expect(() => new BlobBlock(new Blob([new Uint8Array(700)]))).toThrow(/512/);
  });

  it('reports a blob that shrank after opening as a bad image', async () => {
    const fake = { size: 1024, slice: (a: number, b: number) => ({ arrayBuffer: async () => new ArrayBuffer(Math.max(0, Math.min(b, 600) - a)) }) };
    const b = new BlobBlock(fake, { name: 'shrunk' });
    expect(await code(b.read(512, new Uint8Array(512)))).toBe('bad-image');
  });
});
