/**
 * The spec's live migration with fall-back, end to end through the CLI, on two private PostgreSQL clusters:
 * concurrent writes on the source during snapshot and streaming; triggers and foreign keys on both sides;
 * cutover to target; application writes on the target (default sequence values) flowing back; cutover to
 * source; writes on the source; end migration leaving no slot, publication or metadata schema.
 *
 * Every long-running process is killed with kill -9 once in each phase (streaming, each cutover step via
 * failpoints, fall-back streaming) and rerun — with the command it printed, where it printed one. After each
 * cutover every table must be equal row by row on both sides.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { APP_SCHEMA_SQL, APP_TABLES, seed, Workload } from '../../demo/workload.js';
import { compareTables } from '../../demo/verify.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { runCli, type RunningCli } from '../helpers/cli.js';
import { assertNothingLeft, cliSession, cutoverStatus, poll, printedRestart, startSourceAndTarget } from '../helpers/live-rig.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, type PgCluster } from '../helpers/pg-cluster.js';

let source: PgCluster;
let target: PgCluster;
let srcDb: string;
let tgtDb: string;
let exportDir: string;
let backupDir: string;
const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_METRICS_INTERVAL_MS: '2000' };
const { start, cli, killAll } = cliSession(env);
const withFailpoints = (failpoints: string) => ({ YB_VOYAGER_FAILPOINTS: failpoints });

before(async () => {
  ({ source, target, srcDb, tgtDb } = await startSourceAndTarget('app', async (c) => {
    await c.query(APP_SCHEMA_SQL);
    await c.query(`ALTER TABLE public.customers OWNER TO ${MIGRATION_USER}; ALTER TABLE public.orders OWNER TO ${MIGRATION_USER}; ALTER TABLE public.order_audit OWNER TO ${MIGRATION_USER}`);
    await seed(c, 300, 5);
  }));
  exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-fb-'));
  backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-fb-backup-'));
});

after(async () => {
  await killAll();
  await Promise.all([source?.stop(), target?.stop()]);
  for (const d of [exportDir, backupDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const appConfig = (cluster: PgCluster, db: string): pg.ClientConfig => ({ host: cluster.host, port: cluster.port, user: MIGRATION_USER, password: MIGRATION_PASSWORD, database: db });
const srcFlags = () => ['--export-dir', exportDir, ...source.flags('source', srcDb), '--source-db-schema', 'public'];
const tgtFlags = () => ['--export-dir', exportDir, ...target.flags('target', tgtDb)];

const status = (direction: 'source → target' | 'target → source') => cutoverStatus(cli, exportDir, direction);

async function waitEqual(what: string): Promise<void> {
  await poll(what, async () => ((await compareTables(appConfig(source, srcDb), appConfig(target, tgtDb), APP_TABLES)).length === 0 ? true : undefined));
}

async function assertEqual(what: string): Promise<void> {
  const diffs = await compareTables(appConfig(source, srcDb), appConfig(target, tgtDb), APP_TABLES);
  assert.deepEqual(diffs, [], `${what}: tables differ`);
}

test('live migration with fall-back: snapshot, streaming, cutover to target, fall-back, cutover to source, end', { timeout: 300_000 }, async () => {
  // ---- schema
  await cli(['export', 'schema', ...srcFlags()]);
  await cli(['import', 'schema', ...tgtFlags()]);

  // ---- snapshot and streaming, with the application writing on the source all along
  const app = new Workload(appConfig(source, srcDb), 'src1');
  await app.start();
  let exporter = start(['export', 'data', 'from', 'source', ...srcFlags(), '--export-type', 'snapshot-and-changes']);
  // import data waits for a running exporter, which it recognises by its lock file.
  await poll('export data to start', async () => (fs.existsSync(path.join(exportDir, '.export-data-from-source.lck')) ? true : undefined));
  let importer = start(['import', 'data', 'to', 'target', ...tgtFlags()]);
  await exporter.waitForLine(/streaming changes from the source/);
  await importer.waitForLine(/applying the streamed changes/);
  // kill -9 in the streaming phase; the reruns carry failpoints for the cutover steps ahead.
  await new Promise((r) => setTimeout(r, 1000));
  await exporter.kill9();
  exporter = start(['export', 'data', 'from', 'source', ...srcFlags(), '--export-type', 'snapshot-and-changes'], withFailpoints('cutover.exporter.after-marker'));
  await exporter.waitForLine(/streaming changes from the source/);
  await importer.kill9();
  importer = start(['import', 'data', 'to', 'target', ...tgtFlags()], withFailpoints('cutover.importer.after-slot'));
  await importer.waitForLine(/applying the streamed changes/);
  await cli(['import', 'schema', ...tgtFlags(), '--post-snapshot-import', 'true']);
  const store = StateStore.open(path.join(exportDir, 'metainfo', 'meta.db'));
  try {
    assert.deepEqual(store.getJson('source_fallback_capabilities'), { canDisableTriggers: true, user: MIGRATION_USER }, 'export data checked the fall-back privilege');
  } finally {
    store.close();
  }
  await new Promise((r) => setTimeout(r, 1000));
  const written = await app.stop(); // quiesce the source
  assert.ok(written.transactions > 20, 'the application wrote during snapshot and streaming');
  await waitEqual('the target to catch up with the source');

  // ---- cutover to target, each process killed at a cutover step and rerun
  await cli(['initiate', 'cutover', 'to', 'target', '--export-dir', exportDir, '--prepare-for-fall-back', 'true']);
  assert.equal((await exporter.wait()).signal, 'SIGKILL', 'the exporter died at its failpoint');
  assert.equal((await importer.wait()).signal, 'SIGKILL', 'the importer died at its failpoint');
  assert.equal(await status('source → target'), 'INITIATED');
  exporter = start(['export', 'data', 'from', 'source', ...srcFlags(), '--export-type', 'snapshot-and-changes']);
  importer = start(['import', 'data', 'to', 'target', ...tgtFlags()]);
  await exporter.waitForLine(/now continues as: import data to source/);
  await importer.waitForLine(/now continues as: export data from target/);
  await poll('cutover to target COMPLETED', async () => ((await status('source → target')) === 'COMPLETED' ? true : undefined));
  await assertEqual('after cutover to target');
  const srcAdmin = await source.connectAdmin(srcDb);
  try {
    assert.equal((await srcAdmin.query('SELECT count(*) AS n FROM pg_replication_slots')).rows[0].n, '0', 'the source slot is dropped at cutover');
  } finally {
    await srcAdmin.end();
  }

  const tgtAdmin = await target.connectAdmin(tgtDb);
  try {
    const r = await tgtAdmin.query(`SELECT (SELECT count(*) FROM pg_trigger WHERE tgname = 'orders_audit') AS triggers,
      (SELECT count(*) FROM pg_constraint WHERE contype = 'f') AS fks`);
    assert.deepEqual(r.rows[0], { triggers: '1', fks: '1' }, 'the trigger and the foreign key exist on the target too');
  } finally {
    await tgtAdmin.end();
  }

  // ---- the application now writes on the target (default ids: sequences were restored); it flows back
  const onTarget = new Workload(appConfig(target, tgtDb), 'tgt1');
  await onTarget.start();
  await new Promise((r) => setTimeout(r, 1000));
  // kill -9 of both fall-back processes while they stream; restart each with the command it printed
  const restartExport = printedRestart(importer, MIGRATION_PASSWORD);
  const restartImport = printedRestart(exporter, MIGRATION_PASSWORD);
  await importer.kill9();
  await exporter.kill9();
  const fbExporter = start(restartExport, withFailpoints('cutover.exporter.after-drop-slot'));
  const fbImporter = start(restartImport, withFailpoints('cutover.importer.after-sequences'));
  await fbExporter.waitForLine(/streaming changes from the target/);
  await new Promise((r) => setTimeout(r, 1000));
  await onTarget.stop();
  await waitEqual('the source to catch up with the target');

  // ---- cutover to source, both processes killed at a step, rerun, both exit 0
  await cli(['initiate', 'cutover', 'to', 'source', '--export-dir', exportDir]);
  assert.equal((await fbExporter.wait()).signal, 'SIGKILL');
  assert.equal((await fbImporter.wait()).signal, 'SIGKILL');
  assert.equal(await status('target → source'), 'INITIATED');
  const [e2, i2] = await Promise.all([start(restartExport).wait(), start(restartImport).wait()]);
  assert.equal(e2.code, 0, e2.stderr);
  assert.equal(i2.code, 0, i2.stderr);
  assert.equal(await status('target → source'), 'COMPLETED');
  await assertEqual('after cutover to source');

  // ---- the application writes on the source again, with default sequence values
  await new Workload(appConfig(source, srcDb), 'src2').run(40);

  // ---- end migration
  await cli(['end', 'migration', '--export-dir', exportDir, '--backup-log-files', 'true', '--backup-data-files', 'false',
    '--backup-schema-files', 'false', '--save-migration-reports', 'true', '--backup-dir', backupDir]);
  for (const [cluster, db] of [[source, srcDb], [target, tgtDb]] as const) await assertNothingLeft(cluster, db);
  const report = JSON.parse(fs.readFileSync(path.join(backupDir, 'reports', 'data-migration-report.json'), 'utf8')) as { table_name: string; db_type: string; exported_inserts: number; imported_inserts: number }[];
  const orders = report.filter((r) => r.table_name === '"public"."orders"');
  assert.ok(orders.find((r) => r.db_type === 'target')!.exported_inserts > 0, 'target-exported inserts are reported');
  assert.ok(orders.find((r) => r.db_type === 'source')!.imported_inserts > 0, 'source-imported inserts are reported');
  const later = await runCli(['export', 'data', 'from', 'target', '--export-dir', exportDir], { env });
  assert.notEqual(later.code, 0);
  assert.match(later.stderr, /migration has ended/);
});

test('cutover to target without fall-back: both processes exit 0, the source slot is gone, target sequences restored', { timeout: 120_000 }, async () => {
  const s = await source.createDatabase('nofb');
  const t = await target.createDatabase('nofb');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-nofb-'));
  try {
    const c = await source.connectAdmin(s);
    try {
      await c.query(APP_SCHEMA_SQL);
      await seed(c, 20, 2);
    } finally {
      await c.end();
    }
    const sf = ['--export-dir', dir, ...source.flags('source', s), '--source-db-schema', 'public'];
    const tf = ['--export-dir', dir, ...target.flags('target', t)];
    await cli(['export', 'schema', ...sf]);
    await cli(['import', 'schema', ...tf]);
    const exporter = start(['export', 'data', 'from', 'source', ...sf, '--export-type', 'snapshot-and-changes']);
    await exporter.waitForLine(/streaming changes from the source/);
    const importer = start(['import', 'data', 'to', 'target', ...tf]);
    await importer.waitForLine(/applying the streamed changes/);
    await new Workload(appConfig(source, s), 'nofb').run(30);
    await cli(['initiate', 'cutover', 'to', 'target', '--export-dir', dir, '--prepare-for-fall-back', 'false']);
    const [e, i] = await Promise.all([exporter.wait(), importer.wait()]);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(i.code, 0, i.stderr);
    assert.doesNotMatch(e.stdout + i.stdout, /now continues as/);
    const diffs = await compareTables(appConfig(source, s), appConfig(target, t), APP_TABLES);
    assert.deepEqual(diffs, []);
    const out = await cli(['cutover', 'status', '--export-dir', dir]);
    assert.match(out, /source → target\s+\|\s+COMPLETED/);
    assert.match(out, /target → source\s+\|\s+NOT_INITIATED/);
    const sc = await source.connectAdmin(s);
    try {
      assert.equal((await sc.query(`SELECT count(*) AS n FROM pg_replication_slots WHERE database = $1`, [s])).rows[0].n, '0');
      assert.equal((await sc.query(`SELECT count(*) AS n FROM pg_publication`)).rows[0].n, '0');
    } finally {
      await sc.end();
    }
    const tc = await target.connectAdmin(t);
    try {
      assert.equal((await tc.query(`SELECT count(*) AS n FROM pg_replication_slots WHERE database = $1`, [t])).rows[0].n, '0', 'no fall-back slot without fall-back');
    } finally {
      await tc.end();
    }
    await new Workload(appConfig(target, t), 'nofb-on-target').run(20); // default ids on the target work
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
