/**
 * kill -9 of export data and import data at named failpoints, reruns with the same arguments, then every
 * table equal to the source row by row; a live (snapshot-and-changes) export killed mid-snapshot restarts
 * with a fresh slot and never leaves two; a snapshot-only export never creates one.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { StateStore } from '../../src/export-dir/state-store.js';
import { runCli, startCli } from '../helpers/cli.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';
import { tableDigest } from '../helpers/table-compare.js';
import { publicationName, slotName } from '../../src/adapters/postgres/capture-names.js';

const baseEnv = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_SNAPSHOT_CHUNK_BYTES: '65536' };

const SCHEMA = `
  CREATE TABLE orders (id bigint PRIMARY KEY, customer int, amount numeric(12,2), note text, created timestamptz);
  CREATE TABLE events (id int, kind text, payload jsonb, PRIMARY KEY (id, kind)) PARTITION BY LIST (kind);
  CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a');
  CREATE TABLE events_b PARTITION OF events FOR VALUES IN ('b');
  CREATE TABLE small (id int PRIMARY KEY, v text);`;
const DATA = `
  INSERT INTO orders SELECT g, g % 97, g * 1.25, repeat('n', g % 50), '2024-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, 12000) g;
  INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END, jsonb_build_object('g', g) FROM generate_series(1, 6000) g;
  INSERT INTO small SELECT g, 'v' || g FROM generate_series(1, 10) g;`;
const TABLES: [string, string][] = [['orders', 'id'], ['events', 'id, kind'], ['small', 'id']];

let source: PgCluster;
let target: PgCluster;
let sdb: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-crash-'));

before(async () => {
  [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  sdb = await source.createDatabase('crash_src');
  await source.query(SCHEMA + DATA, [], sdb);
});

after(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function freshTarget(): Promise<string> {
  const db = await target.createDatabase('crash_tgt');
  await target.query(SCHEMA, [], db);
  return db;
}

function newExportDir(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d);
  return d;
}

const exportArgs = (dir: string, extra: string[] = []) => ['export', 'data', '--export-dir', dir, ...source.flags('source', sdb), '--source-db-schema', 'public', '--parallel-jobs', '3', ...extra];
const importArgs = (dir: string, tdb: string, extra: string[] = []) => ['import', 'data', '--export-dir', dir, ...target.flags('target', tdb), '--parallel-jobs', '3', ...extra];

async function killedAt(args: string[], failpoint: string): Promise<void> {
  const r = await runCli(args, { env: { ...baseEnv, YB_VOYAGER_FAILPOINTS: failpoint } });
  assert.equal(r.signal, 'SIGKILL', `expected ${failpoint} to kill the process; code ${r.code}\n${r.stdout}\n${r.stderr}`);
}

async function assertTargetEqualsSource(tdb: string): Promise<void> {
  for (const [table, key] of TABLES) {
    const [a, b] = await Promise.all([tableDigest(source, sdb, table, key), tableDigest(target, tdb, table, key)]);
    assert.deepEqual(b, a, `${table} differs after the reruns`);
  }
}

/** Table → its primary key's name and definition. */
async function primaryKeys(tdb: string): Promise<Record<string, string>> {
  const r = await target.query<{ t: string; def: string }>(
    `SELECT conrelid::regclass::text AS t, conname || ' ' || pg_get_constraintdef(oid) AS def
       FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace ORDER BY 1`, [], tdb);
  return Object.fromEntries(r.rows.map((x) => [x.t, x.def]));
}

async function slots(): Promise<string[]> {
  return (await source.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots ORDER BY 1')).rows.map((r) => r.slot_name);
}

test('export killed at each failpoint: the rerun exports a whole, new snapshot; import then matches', async () => {
  for (const fp of ['export.chunk_before_rename@3', 'export.chunk_after_rename@2', 'export.chunk_recorded@4', 'export.before_complete']) {
    const dir = newExportDir(fp.replace(/[^a-z0-9]/gi, '_'));
    await killedAt(exportArgs(dir), fp);
    const leftovers = fs.readdirSync(path.join(dir, 'data'));
    if (fp.startsWith('export.chunk_before_rename')) assert.ok(leftovers.some((f) => f.endsWith('.tmp')), 'the killed run left a temporary file');
    const r = await runCli(exportArgs(dir), { env: baseEnv });
    assert.equal(r.code, 0, `${fp}: ${r.stderr}`);
    const files = fs.readdirSync(path.join(dir, 'data')).filter((f) => f.includes('.copy'));
    assert.ok(files.every((f) => f.endsWith('.g2.copy')), `${fp}: only files of the new snapshot generation remain: ${files.join(' ')}`);
    const tdb = await freshTarget();
    const imp = await runCli(importArgs(dir, tdb), { env: baseEnv });
    assert.equal(imp.code, 0, `${fp}: ${imp.stderr}`);
    await assertTargetEqualsSource(tdb);
  }
  assert.deepEqual(await slots(), [], 'snapshot-only never creates a replication slot');
});

/** A snapshot exported into a new export dir, a fresh target database, and its primary keys before any import. */
async function exportedWithTarget(name: string): Promise<{ dir: string; tdb: string; keysBefore: Record<string, string> }> {
  const dir = newExportDir(name);
  const exp = await runCli(exportArgs(dir), { env: baseEnv });
  assert.equal(exp.code, 0, exp.stderr);
  const tdb = await freshTarget();
  return { dir, tdb, keysBefore: await primaryKeys(tdb) };
}

/** The primary keys the export dir records as dropped for the load and not built yet. */
function keysToBuild(dir: string): unknown[] | undefined {
  const state = StateStore.open(path.join(dir, 'metainfo', 'meta.db'));
  try {
    return state.getJson<unknown[]>('deferred_primary_keys');
  } finally {
    state.close();
  }
}

test('import killed at each failpoint, again and again, with other batch sizes: no row lost or doubled', async () => {
  const { dir, tdb, keysBefore } = await exportedWithTarget('import-crash');
  // Killed right after the keys were dropped for the load: the plain tables load without them, the partitioned
  // one keeps its own.
  await killedAt(importArgs(dir, tdb), 'import.keys_dropped');
  assert.deepEqual(Object.keys(await primaryKeys(tdb)), ['events', 'events_a', 'events_b']);
  const plan: [string, string][] = [
    ['import.batch_after_copy@3', '500'],
    ['import.batch_before_commit@4', '700'],
    ['import.batch_committed@5', '1000'],
    ['import.file_done@2', '333'],
    ['import.batch_committed@9', '4096'],
  ];
  for (const [fp, batch] of plan) await killedAt(importArgs(dir, tdb, ['--batch-size', batch]), fp);
  const r = await runCli(importArgs(dir, tdb, ['--batch-size', '1234']), { env: baseEnv });
  assert.equal(r.code, 0, r.stderr);
  await assertTargetEqualsSource(tdb);
  assert.deepEqual(await primaryKeys(tdb), keysBefore, 'every key dropped for the load is back as it was');
  assert.deepEqual(keysToBuild(dir), [], 'no key is left to build');
  const rep = await runCli(['get', 'data-migration-report', '--export-dir', dir, '--output-format', 'json'], { env: baseEnv });
  const orders = (JSON.parse(rep.stdout) as { tables: { table_name: string; db_type: string; imported_snapshot_rows: number }[] }).tables
    .find((x) => x.table_name === '"public"."orders"' && x.db_type === 'target');
  assert.equal(orders?.imported_snapshot_rows, 12000, 'bookkeeping counts every row once');
});

test('import killed right after a primary key was built, before that was recorded: the rerun finds the key and goes on', async () => {
  const { dir, tdb, keysBefore } = await exportedWithTarget('import-key-built');
  // A fresh import drops the keys of orders and small and builds both: the first build is always reached.
  await killedAt(importArgs(dir, tdb), 'import.key_built@1');
  assert.equal(keysToBuild(dir)?.length, 2, 'the built key is still recorded');
  const r = await runCli(importArgs(dir, tdb), { env: baseEnv });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(keysToBuild(dir), [], 'no key is left to build');
  await assertTargetEqualsSource(tdb);
  assert.deepEqual(await primaryKeys(tdb), keysBefore);
});

test('live export killed mid-snapshot: the rerun drops the old slot, makes one new slot and records its consistent point', async () => {
  const dir = newExportDir('live');
  const args = exportArgs(dir, ['--export-type', 'snapshot-and-changes']);
  await killedAt(args, 'export.after_slot');
  const first = await slots();
  assert.equal(first.length, 1, 'the killed run left its slot (a rerun drops it)');
  await killedAt(args, 'export.chunk_recorded@3');
  const cli = startCli(args, { env: baseEnv });
  await cli.waitForLine(/streaming changes from the source/, { timeoutMs: 60_000 });
  await cli.stop('SIGTERM');
  const now = await slots();
  assert.deepEqual(now, first, 'one slot, with the migration\'s name');
  const state = StateStore.open(path.join(dir, 'metainfo', 'meta.db'));
  try {
    const capture = state.getJson<{ engine: string; start: string }>('capture');
    const exp = state.getJson<{ generation: number; snapshotStatus: string }>('export_data');
    const uuid = state.migration().uuid;
    const repl = { slotName: slotName(uuid, 'source'), publicationName: publicationName(uuid, 'source'), consistentLsn: capture!.start };
    assert.equal(capture?.engine, 'postgresql');
    assert.equal(repl.slotName, now[0]);
    assert.match(repl.consistentLsn, /^[0-9A-F]+\/[0-9A-F]+$/);
    assert.equal(exp?.generation, 3, 'each killed snapshot was started over');
    assert.equal(exp?.snapshotStatus, 'complete');
    const slotRow = (await source.query<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [repl!.slotName])).rows[0];
    assert.ok(slotRow, 'the recorded slot exists');
    const pub = (await source.query<{ root: string; n: string }>(
      `SELECT p.pubviaroot::text AS root, (SELECT count(*) FROM pg_publication_tables t WHERE t.pubname = p.pubname) AS n FROM pg_publication p WHERE p.pubname = $1`,
      [repl!.publicationName], sdb,
    )).rows[0];
    assert.deepEqual(pub, { root: 'true', n: '3' }, 'publication lists the three tables, partitioned ones via their root');
  } finally {
    state.close();
  }
  // A rerun once the snapshot is complete goes straight to streaming: same slot, no new snapshot.
  const again = startCli(args, { env: baseEnv });
  await again.waitForLine(/streaming changes from the source/, { timeoutMs: 60_000 });
  const out = (await again.stop('SIGTERM')).stdout;
  assert.match(out, /already exported/);
  assert.deepEqual(await slots(), now);

  const tdb = await freshTarget();
  const imp = startCli(importArgs(dir, tdb), { env: baseEnv });
  await imp.waitForLine(/applying the streamed changes/, { timeoutMs: 60_000 });
  await imp.stop('SIGTERM');
  await assertTargetEqualsSource(tdb);

  // end migration's job, done here so the cluster is left clean.
  await source.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots`);
});
