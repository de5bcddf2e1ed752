/** Node file backend: positional reads/writes, read-only default, validation, overlay safety. */
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlock } from '../../src/node/file-block.js';
import { OverlayBlock } from '../../src/block/overlay.js';
import { expectBytes } from './bytes.js';

let dir = '';
const DATA = Uint8Array.from({ length: 256 * 1024 }, (_, i) => (i * 5 + (i >> 12)) & 0xff);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bulkhead-block-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileBlock', () => {
  it('reads a file, read-only by default', async () => {
    const path = join(dir, 'a.img');
    await writeFile(path, DATA);
    const f = await FileBlock.open(path);
    expect(f.size).toBe(DATA.length);
    expect(f.readOnly).toBe(true);
    expect(f.id).toMatch(/^file:a\.img:262144:/);
    const buf = new Uint8Array(10000);
    await f.read(123456, buf);
    expectBytes(buf, DATA.subarray(123456, 133456));
    await expect(f.write(0, new Uint8Array(512))).rejects.toMatchObject({ code: 'read-only' });
    await expect(f.read(DATA.length - 1, new Uint8Array(2))).rejects.toMatchObject({ code: 'out-of-range' });
    await f.close();
    await expect(f.read(0, new Uint8Array(1))).rejects.toMatchObject({ code: 'aborted' });
  });

  it('writes when opened read-write', async () => {
    const path = join(dir, 'rw.img');
    await writeFile(path, DATA);
    const f = await FileBlock.open(path, { readOnly: false });
    await f.write(1024, new Uint8Array(512).fill(0xcd));
    await f.flush();
    await f.close();
    const back = await readFile(path);
    expect(back.subarray(1024, 1536).every((x) => x === 0xcd)).toBe(true);
    expectBytes(back.subarray(0, 1024), DATA.subarray(0, 1024));
  });

  it('refuses missing files, bad sizes, and notices truncation', async () => {
    await expect(FileBlock.open(join(dir, 'nope.img'))).rejects.toMatchObject({ code: 'not-found' });
    const odd = join(dir, 'odd.img');
    await writeFile(odd, DATA.subarray(0, 1000));
    await expect(FileBlock.open(odd)).rejects.toMatchObject({ code: 'bad-image', message: expect.stringContaining('512') });
    await expect(FileBlock.open(odd, { kind: 'cdrom' })).rejects.toMatchObject({ code: 'bad-image' });
    const cut = join(dir, 'cut.img');
    await writeFile(cut, DATA);
    const f = await FileBlock.open(cut);
    await truncate(cut, 4096);
    await expect(f.read(8192, new Uint8Array(512))).rejects.toMatchObject({ code: 'bad-image', message: expect.stringContaining('truncated') });
    await f.close();
  });

  it('leaves the file untouched under an overlay', async () => {
    const path = join(dir, 'base.img');
    await writeFile(path, DATA);
    const ov = await OverlayBlock.open(await FileBlock.open(path), { blockSize: 4096 });
    await ov.write(5000, new Uint8Array(3000).fill(1));
    const buf = new Uint8Array(3000);
    await ov.read(5000, buf);
    expect(buf.every((x) => x === 1)).toBe(true);
    expectBytes(new Uint8Array(await readFile(path)), DATA);
  });
});
