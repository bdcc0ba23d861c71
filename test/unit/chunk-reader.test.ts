import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { BINARY_HEADER, BINARY_TRAILER } from '../../src/core/copy-binary.js';
import { ChunkReader } from '../../src/export-dir/chunk-reader.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-reader-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function collect(it: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts).toString();
}

/** Rows big enough that batches cross the reader's 1 MiB read buffers. */
function writeRows(name: string, n: number, width: number): { file: string; rows: string[] } {
  const rows = Array.from({ length: n }, (_, i) => `${i}\t${String(i).padStart(width, 'x')}\\n\n`);
  const file = path.join(dir, name);
  fs.writeFileSync(file, rows.join(''));
  return { file, rows };
}

test('batches are whole rows, in order, across read buffers; skip and rewind', async () => {
  const { file, rows } = writeRows('a.copy', 5000, 700);
  const r = await ChunkReader.open(file);
  try {
    await r.skipRows(10);
    assert.equal(r.rowsRead, 10);
    const seen: string[] = [];
    while (await r.hasMore()) {
      const m = r.mark();
      const first = await collect(r.batch(1499));
      r.rewind(m);
      const again = await collect(r.batch(1499));
      assert.equal(again, first, 'a rewound batch reads the same bytes');
      seen.push(first);
    }
    assert.equal(seen.length, 4);
    assert.equal(seen.join(''), rows.slice(10).join(''));
    assert.equal(r.rowsRead, 5000);
  } finally {
    await r.close();
  }
});

test('an empty file has no batch; a file cut inside a row is refused', async () => {
  const empty = path.join(dir, 'empty.copy');
  fs.writeFileSync(empty, '');
  const e = await ChunkReader.open(empty);
  assert.equal(await e.hasMore(), false);
  await e.close();
  const cut = path.join(dir, 'cut.copy');
  fs.writeFileSync(cut, '1\ta\n2\tb');
  const c = await ChunkReader.open(cut);
  await assert.rejects(collect(c.batch(10)), /ends in the middle of a row/);
  await c.close();
});

/** A binary COPY file of `n` tuples (an int4 and a text field, every 10th text NULL), as PostgreSQL writes it. */
function writeBinary(name: string, n: number, width: number): { file: string; tuples: Buffer[] } {
  const tuples = Array.from({ length: n }, (_, i) => {
    const text = i % 10 === 0 ? null : Buffer.from(String(i).padStart(width, 'y'));
    const b = Buffer.alloc(2 + 8 + 4 + (text?.length ?? 0));
    b.writeInt16BE(2, 0);
    b.writeInt32BE(4, 2);
    b.writeInt32BE(i, 6);
    b.writeInt32BE(text ? text.length : -1, 10);
    text?.copy(b, 14);
    return b;
  });
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat([BINARY_HEADER, ...tuples, BINARY_TRAILER]));
  return { file, tuples };
}

test('binary files: each batch is a whole COPY stream of its own (header, whole tuples, trailer); skip and rewind', async () => {
  const { file, tuples } = writeBinary('b.copy', 6000, 600);
  const r = await ChunkReader.open(file, 'binary');
  try {
    await r.skipRows(10);
    const seen: Buffer[] = [];
    while (await r.hasMore()) {
      const m = r.mark();
      const first = await collectBytes(r.batch(1499));
      r.rewind(m);
      assert.ok((await collectBytes(r.batch(1499))).equals(first), 'a rewound batch reads the same bytes');
      assert.ok(first.subarray(0, 19).equals(BINARY_HEADER) && first.subarray(-2).equals(BINARY_TRAILER));
      seen.push(first.subarray(19, -2));
    }
    assert.equal(seen.length, 4);
    assert.ok(Buffer.concat(seen).equals(Buffer.concat(tuples.slice(10))));
    assert.equal(r.rowsRead, 6000);
  } finally {
    await r.close();
  }
});

test('binary files: no rows has no batch; a cut file, a file without trailer and a text file are refused', async () => {
  const { file: empty } = writeBinary('b-empty.copy', 0, 1);
  const e = await ChunkReader.open(empty, 'binary');
  assert.equal(await e.hasMore(), false);
  await e.close();
  const { file } = writeBinary('b-cut.copy', 20, 10);
  const whole = fs.readFileSync(file);
  // Cut inside the last tuple, the trailer put back: the data ends in the middle of a row.
  fs.writeFileSync(file, Buffer.concat([whole.subarray(0, whole.length - 9), BINARY_TRAILER]));
  const c = await ChunkReader.open(file, 'binary');
  await assert.rejects(collectBytes(c.batch(100)), /ends in the middle of a row/);
  await c.close();
  fs.writeFileSync(file, whole.subarray(0, whole.length - 2));
  await assert.rejects(ChunkReader.open(file, 'binary'), /not a complete binary COPY file/);
  fs.writeFileSync(file, '1\ta\n2\tb\n');
  await assert.rejects(ChunkReader.open(file, 'binary'), /not a complete binary COPY file/);
});

async function collectBytes(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts);
}
