/**
 * Connections fail, the migration carries on. Through the CLI on two private clusters, with writes going on:
 * the target stopped with `-m immediate` and started again mid-apply, the source likewise mid-stream, every
 * session of the migration user killed from the server side, and the same restarts in the fall-back
 * direction. The processes keep running (no rerun), and the two sides end equal row by row.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { APP_SCHEMA_SQL, APP_TABLES, seed, Workload } from '../../demo/workload.js';
import { compareTables } from '../../demo/verify.js';
import type { RunningCli } from '../helpers/cli.js';
import { cliSession, cutoverStatus, poll, startSourceAndTarget } from '../helpers/live-rig.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, type PgCluster } from '../helpers/pg-cluster.js';

let source: PgCluster;
let target: PgCluster;
let srcDb: string;
let tgtDb: string;
let exportDir: string;
const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_METRICS_INTERVAL_MS: '2000' };
const { start, cli, killAll } = cliSession(env);

before(async () => {
  ({ source, target, srcDb, tgtDb } = await startSourceAndTarget('reconnect', async (c) => {
    await c.query(APP_SCHEMA_SQL);
    await seed(c, 200, 3);
  }));
  exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-reconnect-'));
});

after(async () => {
  await killAll();
  await Promise.all([source?.stop(), target?.stop()]);
  if (exportDir) fs.rmSync(exportDir, { recursive: true, force: true });
});

const appConfig = (cluster: PgCluster, db: string): pg.ClientConfig => ({ host: cluster.host, port: cluster.port, user: MIGRATION_USER, password: MIGRATION_PASSWORD, database: db });

async function waitEqual(what: string): Promise<void> {
  await poll(what, async () => ((await compareTables(appConfig(source, srcDb), appConfig(target, tgtDb), APP_TABLES)).length === 0 ? true : undefined), 120_000);
}

/** Wait until `p` has said it reconnected to `side` more than `before` times; returns the new count. */
async function reconnected(p: RunningCli, side: 'source' | 'target', before: number): Promise<number> {
  const count = () => (p.stderr().match(new RegExp(`reconnected to the ${side} database`, 'g')) ?? []).length;
  await poll(`a reconnect to the ${side}`, async () => (count() > before ? true : undefined), 120_000).catch((e: Error) => {
    throw new Error(`${e.message}; its output:\n${p.stdout().slice(-3000)}\n${p.stderr().slice(-3000)}`);
  });
  return count();
}

/** End every session the migration user has on a cluster (as a DBA or a failover would). */
async function killMigrationSessions(cluster: PgCluster): Promise<number> {
  const r = await cluster.query<{ n: string }>(`SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE usename = $1`, [MIGRATION_USER]);
  return Number(r.rows[0].n);
}

/** Writes that run while a server goes down: the workload stops at its first error, which is expected here. */
async function stopQuietly(w: Workload): Promise<void> {
  await w.stop().catch(() => undefined);
}

const status = (direction: 'source → target' | 'target → source') => cutoverStatus(cli, exportDir, direction);

test('restarts and killed sessions in every phase and direction: no rerun, nothing lost', { timeout: 420_000 }, async () => {
  const srcFlags = ['--export-dir', exportDir, ...source.flags('source', srcDb), '--source-db-schema', 'public'];
  const tgtFlags = ['--export-dir', exportDir, ...target.flags('target', tgtDb)];
  await cli(['export', 'schema', ...srcFlags]);
  await cli(['import', 'schema', ...tgtFlags]);
  const exporter = start(['export', 'data', 'from', 'source', ...srcFlags, '--export-type', 'snapshot-and-changes', '--max-reconnect-time', '120']);
  await exporter.waitForLine(/streaming changes from the source/);
  const importer = start(['import', 'data', 'to', 'target', ...tgtFlags, '--max-reconnect-time', '120']);
  await importer.waitForLine(/applying the streamed changes/);
  await new Workload(appConfig(source, srcDb), 'before').run(40);

  // The target goes down hard while changes are applied, and comes back.
  let w = new Workload(appConfig(source, srcDb), 'during-target-restart');
  await w.start();
  await target.restart('immediate');
  let toTarget = await reconnected(importer, 'target', 0);
  await stopQuietly(w);

  // The source goes down hard while changes stream (the application's writes fail meanwhile).
  w = new Workload(appConfig(source, srcDb), 'before-source-restart');
  await w.start();
  await source.restart('immediate');
  let fromSource = await reconnected(exporter, 'source', 0);
  await stopQuietly(w);

  // Every session of the migration user killed on both sides at once.
  await new Workload(appConfig(source, srcDb), 'after-restarts').run(40);
  assert.ok((await killMigrationSessions(source)) >= 1);
  assert.ok((await killMigrationSessions(target)) >= 1);
  fromSource = await reconnected(exporter, 'source', fromSource);
  toTarget = await reconnected(importer, 'target', toTarget);
  await new Workload(appConfig(source, srcDb), 'after-kill').run(40);
  await waitEqual('the target to catch up after the restarts');
  assert.equal(exporter.child.exitCode, null, 'export data from source is still running');
  assert.equal(importer.child.exitCode, null, 'import data to target is still running');
  assert.match(exporter.stderr(), /lost the connection to the source database \(.*\): reconnecting \(attempt 1, next in [\d.]+ s\)/);

  // Cutover with fall-back while the target is down: the exporter writes its marker; the importer meets the
  // marker with no database, waits, and finishes the cutover (sequences, fall-back slot) once it is back.
  await target.stopServer('immediate');
  await cli(['initiate', 'cutover', 'to', 'target', '--export-dir', exportDir, '--prepare-for-fall-back', 'true']);
  await exporter.waitForLine(/wrote the cutover marker/);
  await poll('the importer to wait for the target', async () => (/lost the connection to the target database[^\n]*attempt 1,/.test(importer.stderr().split('reconnected to the target').pop()!) ? true : undefined));
  assert.equal(await status('source → target'), 'INITIATED');
  await target.startServer();
  await poll('cutover to target COMPLETED', async () => ((await status('source → target')) === 'COMPLETED' ? true : undefined));
  await exporter.waitForLine(/now continues as: import data to source/);
  await importer.waitForLine(/now continues as: export data from target/);
  await new Workload(appConfig(target, tgtDb), 'on-target').run(40);
  w = new Workload(appConfig(target, tgtDb), 'during-fall-back-restarts');
  await w.start();
  await source.restart('immediate'); // the fall-back applier's database
  const toSource = await reconnected(exporter, 'source', fromSource);
  await target.restart('immediate'); // the fall-back stream's database
  await reconnected(importer, 'target', toTarget);
  await stopQuietly(w);
  await killMigrationSessions(source);
  // The applier notices the killed session within a second, idle or not; the writes then flow through the new one.
  await new Workload(appConfig(target, tgtDb), 'after-fall-back-restarts').run(40);
  await reconnected(exporter, 'source', toSource);
  await waitEqual('the source to follow the target after the restarts');

  // Cutover back while the source is down: the same, mirrored.
  await source.stopServer('immediate');
  await cli(['initiate', 'cutover', 'to', 'source', '--export-dir', exportDir]);
  await importer.waitForLine(/wrote the cutover marker/);
  assert.equal(await status('target → source'), 'INITIATED');
  await source.startServer();
  const [e, i] = await Promise.all([exporter.wait(), importer.wait()]);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(i.code, 0, i.stderr);
  await waitEqual('after cutover to source');
});
