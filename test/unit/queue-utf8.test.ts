import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { DataEvent, QueueEvent } from '../../src/core/change-event.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { QueueWriter } from '../../src/export-dir/queue.js';
import { QueueReader } from '../../src/export-dir/queue-reader.js';
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
