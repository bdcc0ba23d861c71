import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { allChunks, readCapture } from '../../src/export-dir/snapshot-state.js';
import { MIGRATIONS, StateStore } from '../../src/export-dir/state-store.js';

test('an export dir written before the engine seam keeps working: ctid chunks and the slot record are carried forward', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-metadb-'));
  try {
    const file = path.join(dir, 'meta.db');
    // meta.db as the previous version left it: schema version 4, kv 'pg_replication', block columns.
    const old = new Database(file);
    old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (4);');
    for (const step of MIGRATIONS.slice(0, 4)) old.exec(step);
    old.prepare('INSERT INTO kv VALUES (?, ?)').run('pg_replication', JSON.stringify({ slotName: 'voyager_x', publicationName: 'voyager_pub_x', consistentLsn: '0/16B3748', createdAt: '2026-12-01T00:00:00Z' }));
    const ins = old.prepare(`INSERT INTO snapshot_chunks (file_name, generation, schema_name, table_name, source_schema, source_table, chunk_no, from_block, to_block, status)
      VALUES (?, 1, 'public', 't', 'public', 't', ?, ?, ?, 'done')`);
    ins.run('a.copy', 0, 0, 100);
    ins.run('b.copy', 1, 100, null);
    old.close();

    const state = StateStore.open(file);
    try {
      assert.deepEqual(readCapture(state), { engine: 'postgresql', start: '0/16B3748', createdAt: '2026-12-01T00:00:00Z' });
      assert.equal(state.getJson('pg_replication'), undefined);
      assert.deepEqual(allChunks(state).map((c) => [c.file_name, JSON.parse(c.range_json)]), [
        ['a.copy', { fromBlock: 0, toBlock: 100 }],
        ['b.copy', { fromBlock: 100, toBlock: null }],
      ]);
      assert.equal((state.db.prepare('SELECT version FROM schema_version').get() as { version: number }).version, MIGRATIONS.length);
    } finally {
      state.close();
    }
    // Opening it again is a no-op (the step ran once).
    StateStore.open(file).close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
