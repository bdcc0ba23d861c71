import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
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
