import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ExportDir } from '../../src/export-dir/layout.js';
import { QueueWriter } from '../../src/export-dir/queue.js';
import { lastCommittedEvent } from '../../src/export-dir/queue-tail.js';
import { StateStore } from '../../src/export-dir/state-store.js';

test('lastCommittedEvent: the newest committed event of a role, never an uncommitted one, across large lines', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-tail-'));
  const dir = ExportDir.open(root);
  const state = StateStore.open(dir.stateDb);
  try {
    assert.equal(lastCommittedEvent(dir, state, 'source_db_exporter'), undefined);
    const w = QueueWriter.open(dir, state, 'source_db_exporter');
    const big = 'x'.repeat(200_000); // spans several backward reads
    w.append({ op: 'c', schema: 'public', table: 't', key: { id: '1' }, after: { id: '1', v: big } });
    w.append({ op: 'commit', pos: '0/10' });
    w.commit('0/10');
    let last = lastCommittedEvent(dir, state, 'source_db_exporter');
    assert.equal(last?.event.op, 'commit');
    w.append({ op: 'c', schema: 'public', table: 't', key: { id: '2' }, after: { id: '2', v: big } });
    w.commit();
    last = lastCommittedEvent(dir, state, 'source_db_exporter');
    assert.equal(last?.event.op, 'c');
    assert.equal((last?.event as { after?: Record<string, string | null> }).after?.v?.length, 200_000);
    w.append({ op: 'cutover.target', sequences: [] }); // appended, not committed: invisible
    assert.equal(lastCommittedEvent(dir, state, 'source_db_exporter')?.event.op, 'c');
    w.commit();
    assert.equal(lastCommittedEvent(dir, state, 'source_db_exporter')?.event.op, 'cutover.target');
    assert.equal(lastCommittedEvent(dir, state, 'target_db_exporter_fb'), undefined, 'per role');
    w.close();
  } finally {
    state.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
