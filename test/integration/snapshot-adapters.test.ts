/**
 * The PostgreSQL pieces of the snapshot against a real server: the slot's exported snapshot, idempotent
 * slot/publication cleanup, and the bulk loader's one-transaction batches.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { connect } from '../../src/adapters/postgres/connection.js';
import { createPublicationIfMissing, dropPublicationIfExists, dropSlotIfExists } from '../../src/adapters/postgres/replication-objects.js';
import { createSlotWithSnapshot } from '../../src/adapters/postgres/replication-slot.js';
import { openSnapshotSession } from '../../src/adapters/postgres/snapshot-reader.js';
import { ensureBatchMetadata, importedByFile } from '../../src/adapters/postgres/batch-metadata.js';
import { loadBatch, openLoaderSession } from '../../src/adapters/postgres/bulk-loader.js';
import { DbError } from '../../src/infra/errors.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

let cluster: PgCluster;
let db: string;
const secret = { password: MIGRATION_PASSWORD };

before(async () => {
  cluster = await PgCluster.start();
  db = await cluster.createDatabase('adapters');
  await cluster.query(`CREATE TABLE t (id int PRIMARY KEY, v text);
    CREATE TABLE ident (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text CHECK (v <> 'bad'));
    INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 10) g;`, [], db);
});
after(async () => {
  await cluster?.stop();
});

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

test('the slot exports a snapshot: sessions that import it see the data as of the slot, not later writes', async () => {
  const admin = await connect(cluster.settings(db), secret);
  try {
    await createPublicationIfMissing(admin, 'pub_test', [{ schema: 'public', table: 't' }]);
    const slot = await createSlotWithSnapshot(cluster.settings(db), secret, 'slot_test');
    assert.match(slot.consistentLsn, /^[0-9A-F]+\/[0-9A-F]+$/);
    await admin.query(`INSERT INTO t SELECT g, 'late' FROM generate_series(11, 20) g`);
    const s1 = await openSnapshotSession(cluster.settings(db), secret, slot.snapshotName);
    const s2 = await openSnapshotSession(cluster.settings(db), secret, slot.snapshotName);
    await slot.holder.end();
    try {
      for (const s of [s1, s2]) assert.equal((await s.client.query('SELECT count(*) AS n FROM t')).rows[0].n, '10');
    } finally {
      await s1.close();
      await s2.close();
    }
    assert.deepEqual([await dropSlotIfExists(admin, 'slot_test'), await dropPublicationIfExists(admin, 'pub_test')], [true, true]);
    assert.deepEqual([await dropSlotIfExists(admin, 'slot_test'), await dropPublicationIfExists(admin, 'pub_test')], [false, false], 'idempotent');
  } finally {
    await admin.end();
  }
});

test('a batch commits with its bookkeeping row, or not at all; a done batch is skipped', async () => {
  const client = await openLoaderSession(cluster.settings(db, 'target'), secret);
  const uuid = randomUUID();
  try {
    await ensureBatchMetadata(client);
    const batch = { migrationUuid: uuid, fileName: 'public.ident-x.0000.g1.copy', batchNumber: 1, schema: 'public', table: 'ident', columns: ['id', 'v'], firstLine: 101 };
    // Identity ALWAYS: COPY keeps the given values.
    assert.deepEqual(await loadBatch(client, batch, chunks('7\ta\n', '9\tb\n')), { status: 'imported', rows: 2 });
    assert.deepEqual(await loadBatch(client, batch, chunks('7\ta\n')), { status: 'already-imported' });
    const bad = { ...batch, batchNumber: 2 };
    await assert.rejects(loadBatch(client, bad, chunks('10\tok\n11\tbad\n12\tok\n')), (e: unknown) => {
      assert.ok(e instanceof DbError);
      assert.equal(e.kind, 'data');
      assert.match(e.message, /importing "public"\."ident" from data\/public\.ident-x\.0000\.g1\.copy, line 102 of the file \(row 2 of batch 2\).*ident_v_check/);
      return true;
    });
    // The session is usable after the failure, and nothing of the failed batch is there.
    const ids = (await client.query<{ ids: string }>(`SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM ident`)).rows[0].ids;
    assert.equal(ids, '7,9');
    assert.deepEqual([...(await importedByFile(client, uuid)).entries()], [[batch.fileName, { rows: 2, lastBatch: 1 }]]);
  } finally {
    await client.end();
  }
});

test('a target user who may not set session_replication_role is told the GRANT that fixes it', async () => {
  await cluster.query(`CREATE ROLE plain LOGIN PASSWORD 'plain-pw'`);
  const settings = { ...cluster.settings(db, 'target'), user: 'plain' };
  await assert.rejects(openLoaderSession(settings, { password: 'plain-pw' }), (e: unknown) => {
    assert.ok(e instanceof DbError);
    assert.match(e.oneLine(), /GRANT SET ON PARAMETER session_replication_role TO "plain"/);
    return true;
  });
});
