/**
 * A rerun of export data from source on a complete snapshot starts its checks of the source at once (the
 * fall-back privilege check, the identity of the database, the streaming guardrails), yet reports what it
 * reported when they ran one after another: the first failing check's error, with its fix.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EXIT_CODES } from '../../src/infra/errors.js';
import { runCli } from '../helpers/cli.js';
import { cliSession } from '../helpers/live-rig.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../helpers/pg-cluster.js';

let source: PgCluster;
const dirs: string[] = [];
const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD };
const { start, killAll } = cliSession(env);

before(async () => {
  source = await PgCluster.start();
});

after(async () => {
  await killAll();
  await source?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function sourceDb(key = 'PRIMARY KEY'): Promise<string> {
  const db = await source.createDatabase('rc');
  await source.query(`CREATE TABLE t (id int ${key}, v text); ALTER TABLE t OWNER TO ${MIGRATION_USER}; INSERT INTO t SELECT g, 'v' FROM generate_series(1, 20) g`, [], db);
  return db;
}

/** An export dir whose snapshot is complete and whose change stream ran once, then stopped. */
async function streamedOnce(db: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-rc-'));
  dirs.push(dir);
  const exporter = start(exportArgs(dir, db));
  await exporter.waitForLine(/streaming changes from the source/);
  const r = await exporter.stop('SIGINT');
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

const exportArgs = (dir: string, db: string) => ['export', 'data', 'from', 'source', '--export-dir', dir, ...source.flags('source', db), '--source-db-schema', 'public', '--export-type', 'snapshot-and-changes'];

test('another source database on the rerun: the identity error, not what the guardrails found there', { timeout: 120_000 }, async () => {
  const dir = await streamedOnce(await sourceDb());
  // The other database's table has no primary key: its guardrails fail too, but the identity comes first.
  const r = await runCli(exportArgs(dir, await sourceDb('')), { env });
  assert.equal(r.code, EXIT_CODES.conflict, r.stderr);
  assert.match(r.stderr, /^Error: this export dir belongs to a migration whose source is .*; use a new, empty --export-dir for a different source database/m);
  assert.doesNotMatch(r.stderr, /not ready to stream/);
});

test('the slot dropped while the exporter was stopped: the rerun names the slot and the fix', { timeout: 120_000 }, async () => {
  const db = await sourceDb();
  const dir = await streamedOnce(db);
  await source.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`, [db]);
  const r = await runCli(exportArgs(dir, db), { env });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /the source database is not ready to stream changes/);
  assert.match(r.stderr, /replication slot voyager_\w+ of this migration does not exist on the source \(dropped\?\); changes since then cannot be recovered: start over with export data from source --start-clean true/);
});
