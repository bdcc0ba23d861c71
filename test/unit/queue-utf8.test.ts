import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { DataEvent, QueueEvent } from '../../src/core/change-event.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { QueueWriter } from '../../src/export-dir/queue.js';
import { decodeLines, MAX_TEXT_BYTES, QueueReader } from '../../src/export-dir/queue-reader.js';
import { StateStore } from '../../src/export-dir/state-store.js';

test('queue reader: multi-byte characters split across read chunks arrive intact', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-utf8-'));
  const dir = ExportDir.open(root);
  const state = StateStore.open(dir.stateDb);
  try {
    const w = QueueWriter.open(dir, state, 'source_db_exporter');
    const values: string[] = [];
    for (let i = 0; i < 60; i++) {
      const v = 'é😀ü€'.repeat((i % 7) + 1) + 'x'.repeat(i % 3);
      values.push(v);
      w.append({ op: 'c', schema: 'public', table: 't', key: { id: String(i) }, after: { id: String(i), v } });
      w.append({ op: 'commit', pos: '0/0' });
      w.commit();
    }
    w.close();
    // Chunk sizes that are prime, so boundaries fall inside characters at many offsets.
    for (const readChunkBytes of [7, 13, 61]) {
      const reader = new QueueReader(dir, state, { consumer: 't', roles: ['source_db_exporter'], afterVsn: 0, readChunkBytes });
      const got: QueueEvent[] = [];
      const ac = new AbortController();
      for await (const evs of reader.read(ac.signal)) {
        got.push(...evs);
        if (got.length >= 120) break;
      }
      const data = got.filter((e): e is DataEvent => e.op === 'c');
      assert.deepEqual(data.map((e) => e.after!.v), values, `chunk ${readChunkBytes}`);
    }
  } finally {
    state.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a read is decoded in strings under the large-object size, cut only at newlines; a longer line stays whole', () => {
  const lines: string[] = [];
  for (let i = 0; i < 4000; i++) lines.push(`{"vsn":${i},"v":"${'é😀x'.repeat(i % 40)}"}`);
  lines.splice(2000, 0, 'L'.repeat(MAX_TEXT_BYTES + 5000)); // one line over the limit
  const text = lines.join('\n');
  const buf = Buffer.from(text + '\n');
  const pieces = decodeLines(buf, buf.length - 1);
  assert.ok(pieces.length > 3, `${pieces.length} pieces`);
  assert.equal(pieces.join('\n'), text, 'nothing lost, nothing split inside a line or a character');
  const long = pieces.filter((p) => Buffer.byteLength(p) > MAX_TEXT_BYTES);
  assert.deepEqual(long, ['L'.repeat(MAX_TEXT_BYTES + 5000)], 'the long line is a piece of its own, the only one over the limit');
});
