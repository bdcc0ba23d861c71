/**
 * What reconnecting must never do: retry what retrying cannot fix (a password changed meanwhile, a slot
 * dropped by hand), write to a different database that answers at the same address, or outlive the export
 * dir. And what it must do for a snapshot import: survive a target restart without failing the batch.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { APP_SCHEMA_SQL, APP_TABLES, seed, Workload } from '../../demo/workload.js';
import { compareTables } from '../../demo/verify.js';
import { EXIT_CODES } from '../../src/infra/errors.js';
import { cliSession, poll } from '../helpers/live-rig.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../helpers/pg-cluster.js';

let source: PgCluster;
let target: PgCluster;
const dirs: string[] = [];
const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };
const { start, cli, killAll } = cliSession(env);

before(async () => {
  [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
});

after(async () => {
  await killAll();
  await Promise.all([source?.stop(), target?.stop()]);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const appConfig = (cluster: PgCluster, db: string): pg.ClientConfig => ({ host: cluster.host, port: cluster.port, user: MIGRATION_USER, password: MIGRATION_PASSWORD, database: db });

/** A fresh source/target database pair with the schema imported, and the flags that reach them. */
async function migration(src: PgCluster, tgt: PgCluster, rows = 50) {
  const srcDb = await src.createDatabase('rf');
  const tgtDb = await tgt.createDatabase('rf');
  const c = await src.connectAdmin(srcDb);
  try {
    await c.query(APP_SCHEMA_SQL);
    await seed(c, rows, 3);
  } finally {
    await c.end();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-rf-'));
  dirs.push(dir);
  const srcFlags = ['--export-dir', dir, ...src.flags('source', srcDb), '--source-db-schema', 'public'];
  const tgtFlags = ['--export-dir', dir, ...tgt.flags('target', tgtDb)];
  await cli(['export', 'schema', ...srcFlags]);
  await cli(['import', 'schema', ...tgtFlags]);
  return { srcDb, tgtDb, dir, srcFlags, tgtFlags };
}

async function live(m: Awaited<ReturnType<typeof migration>>) {
  const exporter = start(['export', 'data', 'from', 'source', ...m.srcFlags, '--export-type', 'snapshot-and-changes']);
  await exporter.waitForLine(/streaming changes from the source/);
  const importer = start(['import', 'data', 'to', 'target', ...m.tgtFlags]);
  await importer.waitForLine(/applying the streamed changes/);
  return { exporter, importer };
}

const killSessions = (cluster: PgCluster, db: string) =>
  cluster.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND datname = $2`, [MIGRATION_USER, db]);

test('a password changed while the importer was away: one attempt, then the auth error; no retry loop', { timeout: 120_000 }, async () => {
  // A cluster of its own: the password change must not reach the other tests' migrations.
  const other = await PgCluster.start();
  try {
    const m = await migration(source, other);
    const { exporter, importer } = await live(m);
    // Its apply session must exist before the kill: one still logging in would be missed, and live on.
    await poll('the apply session', async () => {
      const r = await other.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'yb-voyager apply changes%'`, [m.tgtDb]);
      return r.rows[0].n !== '0' ? true : undefined;
    });
    await other.query(`ALTER ROLE ${MIGRATION_USER} PASSWORD 'changed-meanwhile'`);
    await killSessions(other, m.tgtDb);
    await new Workload(appConfig(source, m.srcDb), 'after-kill').run(5); // the importer meets the loss with its next group
    // (Bounded, so a failure shows what the importer was doing instead of a bare test timeout.)
    const r = await Promise.race([
      importer.wait(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the importer is still running:\n${importer.stdout().slice(-2000)}\n${importer.stderr().slice(-2000)}`)), 90_000).unref()),
    ]);
    assert.equal(r.code, EXIT_CODES.auth, r.stderr);
    assert.match(r.stderr, /password authentication failed for user 'ybvoyager'/);
    assert.equal((r.stderr.match(/reconnecting \(attempt/g) ?? []).length, 1, `one attempt, no retry loop:\n${r.stderr}`);
    await exporter.stop('SIGTERM');
  } finally {
    await other.stop();
  }
});

test('the replication slot dropped by hand: the exporter stops at once with the fix, no retry loop', { timeout: 120_000 }, async () => {
  const m = await migration(source, target);
  const { exporter, importer } = await live(m);
  // Drop it even if the exporter reconnects in between: end its walsender until the drop wins.
  await poll('the slot to be dropped', async () => {
    await source.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`, [m.srcDb]);
    try {
      await source.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`, [m.srcDb]);
    } catch {
      return undefined; // still active: try again
    }
    const left = await source.query<{ n: string }>(`SELECT count(*) AS n FROM pg_replication_slots WHERE database = $1`, [m.srcDb]);
    return left.rows[0].n === '0' ? true : undefined;
  });
  const r = await exporter.wait();
  assert.equal(r.code, EXIT_CODES['not-found'], `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`);
  assert.match(r.stderr, /replication slot voyager_\w+ does not exist on the source/);
  assert.ok((r.stderr.match(/reconnecting \(attempt/g) ?? []).length <= 1, 'at most the one attempt that found the slot gone');
  await importer.stop('SIGTERM');
});

test('a fresh cluster at the same address, same names and password: the importer stops and writes nothing there', { timeout: 180_000 }, async () => {
  const other = await PgCluster.start();
  try {
    const m = await migration(source, other);
    const { exporter, importer } = await live(m);
    await other.replaceWithFreshCluster();
    await new Workload(appConfig(source, m.srcDb), 'after-replace').run(5);
    const r = await importer.wait();
    assert.equal(r.code, EXIT_CODES.conflict, r.stderr);
    assert.match(r.stderr, /the target database now reached at .* is not the one this migration uses/);
    assert.match(r.stderr, /nothing was written to it/);
    const left = await other.query<{ n: string }>(`SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'ybvoyager_metadata'`, [], m.tgtDb);
    assert.equal(left.rows[0].n, '0', 'nothing of ours was created in the new database');
    await exporter.stop('SIGTERM');
  } finally {
    await other.stop();
  }
});

test('the export dir deleted under running processes: both stop with the reason instead of polling forever', { timeout: 120_000 }, async () => {
  const m = await migration(source, target);
  const { exporter, importer } = await live(m);
  fs.rmSync(m.dir, { recursive: true, force: true });
  const [e, i] = await Promise.all([exporter.wait(), importer.wait()]);
  for (const r of [e, i]) {
    assert.equal(r.code, EXIT_CODES.conflict, r.stderr);
    assert.match(r.stderr, /lock file .* is gone/);
  }
});

test('a target restart during the snapshot import does not fail the batch it was in; every row arrives once', { timeout: 180_000 }, async () => {
  const m = await migration(source, target, 3000);
  await cli(['export', 'data', 'from', 'source', ...m.srcFlags]);
  // The importer holds after each batch while this file exists: the restart happens mid-import, every time.
  const pause = path.join(m.dir, 'pause');
  fs.writeFileSync(pause, '');
  const importer = start(['import', 'data', 'to', 'target', ...m.tgtFlags, '--batch-size', '500', '--parallel-jobs', '2'], { YB_VOYAGER_TEST_BATCH_PAUSE_FILE: pause });
  await poll('the first batches to be imported', async () => {
    const r = await target.query<{ n: string }>(`SELECT count(*) AS n FROM ybvoyager_metadata.ybvoyager_import_data_batches_metainfo_v3`, [], m.tgtDb).catch(() => undefined);
    return r && Number(r.rows[0].n) >= 2 ? true : undefined;
  });
  await target.restart('immediate');
  fs.rmSync(pause);
  const r = await importer.wait();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /reconnected to the target database/);
  const diffs = await compareTables(appConfig(source, m.srcDb), appConfig(target, m.tgtDb), APP_TABLES);
  assert.deepEqual(diffs, []);
});

test('while the source is down, get data-migration-report shows the exporter reconnecting; it carries on once the source is back', { timeout: 180_000 }, async () => {
  const other = await PgCluster.start();
  try {
    const m = await migration(other, target);
    const { exporter, importer } = await live(m);
    await other.stopServer('immediate');
    await exporter.waitForLine(/lost the connection to the source database .*: reconnecting \(attempt 1/);
    const report = await cli(['get', 'data-migration-report', '--export-dir', m.dir]);
    assert.match(report, new RegExp(`export data from source \\(pid ${exporter.pid}\\) is reconnecting to the source database since \\S+ \\(attempt \\d+: `));
    await other.startServer();
    await exporter.waitForLine(/reconnected to the source database/);
    await new Workload(appConfig(other, m.srcDb), 'back').run(10);
    await poll('the target to catch up', async () => ((await compareTables(appConfig(other, m.srcDb), appConfig(target, m.tgtDb), APP_TABLES)).length === 0 ? true : undefined));
    const after = await cli(['get', 'data-migration-report', '--export-dir', m.dir]);
    assert.doesNotMatch(after, /is reconnecting/, 'the status is cleared once healthy');
    await Promise.all([exporter.stop('SIGTERM'), importer.stop('SIGTERM')]);
  } finally {
    await other.stop();
  }
});
