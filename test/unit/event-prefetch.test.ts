import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { QueueEvent } from '../../src/core/change-event.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { QueueWriter } from '../../src/export-dir/queue.js';
import { QueueReader } from '../../src/export-dir/queue-reader.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { EventPrefetcher } from '../../src/workflows/event-prefetch.js';

test('prefetcher: read-ahead is parsed when taken, as much as asked for, every event once and in order', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-prefetch-'));
  const dir = ExportDir.open(root);
  const state = StateStore.open(dir.stateDb);
  const ac = new AbortController();
  let prefetch: EventPrefetcher | undefined;
  try {
    const w = QueueWriter.open(dir, state, 'source_db_exporter');
    for (let tx = 0; tx < 40; tx++) {
      for (let i = 0; i < 3; i++) w.append({ op: 'c', schema: 'public', table: 't', key: { id: `${tx}.${i}` }, after: { id: `${tx}.${i}`, v: 'x'.repeat(tx) } });
      w.append({ op: 'commit', pos: `0/${tx + 1}` });
    }
    w.commit();
    w.close();
    const total = 160;
    // Small reads: many texts of a few lines each. Events at or below the watermark (4) are never handed out.
    const reader = new QueueReader(dir, state, { consumer: 'c', roles: ['source_db_exporter'], afterVsn: 4, pollMs: 10, readChunkBytes: 400 });
    prefetch = new EventPrefetcher(reader, ac.signal, 1 << 20);
    // Let it read ahead most of the queue first (the test fails by its timeout if it never does).
    while (prefetch.buffered < 20) await new Promise((r) => setTimeout(r, 5));
    const got: QueueEvent[] = [];
    const asks = [1, 25, 3, 10];
    // A text holds at most 400 bytes, so fewer than 8 events: a take stops at the first text that reaches the ask.
    for (let k = 0; got.length < total - 4; k++) {
      await prefetch.waitForData(10_000);
      const ask = asks[k % asks.length];
      const more = await prefetch.take(ask);
      assert.ok(more.length < ask + 8, `take(${ask}) parsed ${more.length} events: more than it needed`);
      got.push(...more);
    }
    assert.deepEqual(got.map((e) => e.vsn), Array.from({ length: total - 4 }, (_, i) => i + 5));
    assert.equal(prefetch.buffered, 0);
  } finally {
    ac.abort();
    await prefetch?.done;
    state.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('queue reader: texts must be parsed in the order read', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-prefetch-'));
  const dir = ExportDir.open(root);
  const state = StateStore.open(dir.stateDb);
  const ac = new AbortController();
  try {
    const w = QueueWriter.open(dir, state, 'source_db_exporter');
    for (let i = 0; i < 20; i++) w.append({ op: 'commit', pos: `0/${i}` });
    w.commit();
    w.close();
    const reader = new QueueReader(dir, state, { consumer: 'c', roles: ['source_db_exporter'], afterVsn: 0, pollMs: 10, readChunkBytes: 200 });
    const it = reader.readText(ac.signal);
    const a = (await it.next()).value!;
    const b = (await it.next()).value!;
    assert.throws(() => reader.parse(b), /out of order/);
    assert.deepEqual(reader.parse(a).map((e) => e.vsn)[0], 1);
    ac.abort();
    await it.return(undefined);
  } finally {
    state.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
