/**
 * The seed's whole workflow MariaDB → PostgreSQL → back, through the CLI: the application writes on MariaDB
 * during snapshot and streaming; both processes are killed with kill -9 while streaming; cutover to target with
 * fall-back; the application writes on PostgreSQL (inserts with the restored identities, updates, deletes that
 * cascade there, every type of the matrix rewritten and copied); both fall-back processes are killed and
 * restarted with the commands they printed (the importer killed again inside the cutover to source); MariaDB follows row by row while its trigger does not fire for the
 * applied changes; cutover to source puts the trigger back exactly and moves every AUTO_INCREMENT past the
 * target's ids; the application writes on MariaDB again (the trigger fires, no duplicate key); end migration
 * leaves nothing behind on either side.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { assertNothingLeft, cliSession, cutoverStatus, poll, printedRestart } from '../helpers/live-rig.js';
import { MYSQL_MIGRATION_PASSWORD } from '../helpers/mariadb-server.js';
import { sideBySide, startMigrationPair, TABLE_COLUMNS, TY_VALUES, workStep, type MigrationPair } from '../helpers/mysql-app.js';
import { MIGRATION_PASSWORD } from '../helpers/pg-cluster.js';

const env = { SOURCE_DB_PASSWORD: MYSQL_MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_METRICS_INTERVAL_MS: '1000' };
const { start, cli, killAll } = cliSession(env);

let pair: MigrationPair;
let dir: string;
let backupDir: string;

before(async () => {
  pair = await startMigrationPair();
  const { mariadb, sourceDb } = pair;
  // A second trigger on the same table and event, ordered after the first, with its own sql_mode.
  await mariadb.query("SET SESSION sql_mode = 'ANSI_QUOTES'", [], sourceDb);
  await mariadb.query(`CREATE TRIGGER orders_audit_paid AFTER INSERT ON orders FOR EACH ROW FOLLOWS orders_audit
    BEGIN IF NEW.status = 'paid' THEN INSERT INTO audit (order_id, what) VALUES (NEW.id, 'paid'); END IF; END`, [], sourceDb);
  await mariadb.query('INSERT INTO parent SELECT seq, CONCAT(\'p\', seq) FROM seq_1_to_100', [], sourceDb);
  await mariadb.query('INSERT INTO child SELECT seq, 1 + seq % 100, CONCAT(\'c\', seq) FROM seq_1_to_400', [], sourceDb);
  await mariadb.query('INSERT INTO orders (customer, amount) SELECT CONCAT(\'cu\', seq), seq / 4 FROM seq_1_to_1000', [], sourceDb);
  for (const [i, v] of TY_VALUES.entries()) await mariadb.query(`INSERT INTO ty VALUES (${i + 1}, ${v})`, [], sourceDb);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-mysql-fb-'));
  backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-mysql-fb-backup-'));
});

after(async () => {
  await killAll();
  await Promise.all([pair?.mariadb.stop(), pair?.pg.stop()]);
  for (const d of [dir, backupDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const src = () => ['--export-dir', dir, ...pair.mariadb.flags(pair.sourceDb)];
const tgt = () => ['--export-dir', dir, ...pair.pg.flags('target', pair.targetDb)];
const exportData = () => start(['export', 'data', 'from', 'source', ...src(), '--export-type', 'snapshot-and-changes', '--disable-pb', 'true']);
const importData = () => start(['import', 'data', 'to', 'target', ...tgt(), '--disable-pb', 'true']);
const status = (direction: 'source → target' | 'target → source') => cutoverStatus(cli, dir, direction);
const my = <T = Record<string, unknown>[]>(sql: string) => pair.mariadb.query<T>(sql, [], pair.sourceDb);
const onTarget = (sql: string) => pair.pg.query(sql, [], pair.targetDb);

/**
 * The compared columns. orders.label is a generated column PostgreSQL cannot compute (concat is not immutable):
 * there it is a plain column, which the application's updates on PostgreSQL leave alone while MariaDB keeps
 * computing its own (analyze-schema reports it); every other column must be equal.
 */
const COMPARED: Record<string, string[]> = { ...TABLE_COLUMNS, orders: TABLE_COLUMNS.orders.filter((c) => c !== 'label') };

/** Tables whose rows differ between the two sides (none: equal row by row), with the first rows that differ. */
async function differing(): Promise<string[]> {
  const out: string[] = [];
  for (const [table, cols] of Object.entries(COMPARED)) {
    const { source, target } = await sideBySide(pair, table, cols);
    const onlySource = source.filter((r) => !target.includes(r)).slice(0, 3);
    const onlyTarget = target.filter((r) => !source.includes(r)).slice(0, 3);
    if (onlySource.length || onlyTarget.length || source.length !== target.length) {
      out.push(`${table} (MariaDB ${source.length} rows, PostgreSQL ${target.length}; only on MariaDB: ${onlySource.join(' ; ')}; only on PostgreSQL: ${onlyTarget.join(' ; ')})`);
    }
  }
  return out;
}

async function waitEqual(what: string): Promise<void> {
  let last: string[] = [];
  await poll(what, async () => ((last = await differing()).length === 0 ? true : undefined), 120_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${last.join('\n')}`);
  });
}

/** The type matrix as MariaDB holds it: every value in an exact text form (binary as hex). */
async function tyRows(ids: number[]): Promise<string[]> {
  const rows = await my<{ r: string }[]>(`SELECT CONCAT_WS('|', IFNULL(u64,'∅'), IFNULL(d65,'∅'), IFNULL(f,'∅'), IFNULL(dbl,'∅'), IFNULL(HEX(b1),'∅'),
    IFNULL(HEX(b64),'∅'), IFNULL(y,'∅'), IFNULL(e,'∅'), IFNULL(s,'∅'), IFNULL(j,'∅'), IFNULL(t,'∅'), IFNULL(dt,'∅'), IFNULL(ts,'∅'), IFNULL(dd,'∅'),
    IFNULL(vc,'∅'), IFNULL(tx,'∅'), IFNULL(HEX(bn),'∅'), IFNULL(HEX(bl),'∅'), IFNULL(t1,'∅'), IFNULL(ui,'∅')) AS r FROM ty WHERE id IN (${ids.join(',')}) ORDER BY id`);
  return rows.map((x) => x.r);
}

/** The triggers of the source database exactly as MariaDB describes them. */
async function triggers(): Promise<string[]> {
  const rows = await my<Record<string, unknown>[]>(`SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, DEFINER, SQL_MODE,
    CHARACTER_SET_CLIENT, COLLATION_CONNECTION, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER`);
  return rows.map((r) => JSON.stringify(r));
}

const count = async (table: string, where = '1=1') => Number((await my<{ n: number }[]>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0].n);

test('MariaDB → PostgreSQL → back: live migration, fall-back under kill -9, cutover to source, end migration', { timeout: 420_000 }, async () => {
  await cli(['export', 'schema', ...src()]);
  await cli(['import', 'schema', ...tgt()]);
  const triggersBefore = await triggers();
  assert.equal(triggersBefore.length, 2);

  // ---- snapshot and streaming, the application writing on MariaDB all along, each process killed once
  let stopApp = false;
  let n = 0;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const writer = await pair.mariadb.connectMigrationUser(pair.sourceDb);
  const app = (async () => {
    while (!stopApp) await workStep(writer, n++, rnd);
  })();
  let exporter = exportData();
  await exporter.waitForLine(/streaming changes/, { timeoutMs: 120_000 });
  let importer = importData();
  await importer.waitForLine(/applying the streamed changes/, { timeoutMs: 120_000 });
  const before = n;
  await poll('the application to write while streaming', async () => (n >= before + 100 ? true : undefined));
  await exporter.kill9();
  exporter = exportData();
  await exporter.waitForLine(/streaming changes/, { timeoutMs: 120_000 });
  await importer.kill9();
  importer = importData();
  await importer.waitForLine(/applying the streamed changes/, { timeoutMs: 120_000 });
  stopApp = true;
  await app;
  await writer.end();
  await waitEqual('the target to catch up with MariaDB');

  // ---- cutover to target with fall-back: the processes carry on as the fall-back pair
  await cli(['initiate', 'cutover', 'to', 'target', '--export-dir', dir, '--prepare-for-fall-back', 'true']);
  await exporter.waitForLine(/now continues as: import data to source/, { timeoutMs: 120_000 });
  await importer.waitForLine(/now continues as: export data from target/, { timeoutMs: 120_000 });
  await poll('cutover to target COMPLETED', async () => ((await status('source → target')) === 'COMPLETED' ? true : undefined));
  await exporter.waitForLine(/set aside 2 trigger\(s\) on the source/, { timeoutMs: 60_000 });
  assert.deepEqual(await triggers(), [], 'the source triggers are set aside while the target\'s changes are applied');
  assert.deepEqual(await differing(), [], 'equal after cutover to target');

  // ---- the application writes on PostgreSQL; its changes flow back to MariaDB
  const auditRows = await count('audit');
  const maxOrderBefore = Number((await onTarget('SELECT max(id) AS m FROM public.orders')).rows[0].m);
  await onTarget("INSERT INTO public.orders (customer, amount, status) SELECT 'pg' || g, g, 'paid' FROM generate_series(1, 50) g");
  await onTarget("UPDATE public.orders SET amount = amount + 0.25, status = 'shipped' WHERE id % 7 = 0");
  await onTarget('DELETE FROM public.parent WHERE id IN (SELECT id FROM public.parent ORDER BY id LIMIT 10)'); // cascades to child on PostgreSQL
  await onTarget('UPDATE public.ty SET id = id'); // every value goes back through the fall-back stream
  await onTarget('INSERT INTO public.ty SELECT id + 1000, u64, d65, f, dbl, b1, b64, y, e, s, j, t, dt, ts, dd, vc, tx, bn, bl, t1, ui FROM public.ty');
  const tyBefore = await tyRows([1, 2, 3]);

  // kill -9 of both fall-back processes while they stream; each restarted with the command it printed
  const restartExport = printedRestart(importer, MIGRATION_PASSWORD);
  const restartImport = printedRestart(exporter, MYSQL_MIGRATION_PASSWORD);
  await importer.kill9();
  await exporter.kill9();
  const fbExporter = start(restartExport);
  // At the cutover to source it dies after restoring the AUTO_INCREMENT counters, before the triggers are back.
  const fbImporter = start(restartImport, { YB_VOYAGER_FAILPOINTS: 'cutover.importer.after-sequences' });
  await fbExporter.waitForLine(/streaming changes from the target/, { timeoutMs: 120_000 });
  await onTarget("INSERT INTO public.orders (customer, amount) VALUES ('after-restart', 3)");
  await waitEqual('MariaDB to follow the target row by row');
  assert.equal(await count('audit'), auditRows, 'the trigger fired for no applied change');
  assert.deepEqual(await tyRows([1, 2, 3]), tyBefore, 'the rewritten type matrix arrived unchanged');
  assert.deepEqual(await tyRows([1001, 1002, 1003]), tyBefore, 'the copied rows hold exactly the same values');
  assert.equal(await count('child', 'parent_id NOT IN (SELECT id FROM parent)'), 0, 'cascaded deletes arrived as their own events');

  // ---- cutover to source: triggers back exactly, AUTO_INCREMENT beyond every target id
  await cli(['initiate', 'cutover', 'to', 'source', '--export-dir', dir]);
  assert.equal((await fbImporter.wait()).signal, 'SIGKILL', 'import data to source died at its failpoint');
  assert.equal(await status('target → source'), 'INITIATED');
  assert.deepEqual(await triggers(), [], 'the triggers are still set aside after that crash');
  const [e2, i2] = await Promise.all([fbExporter.wait(), start(restartImport).wait()]);
  assert.equal(e2.code, 0, e2.stderr);
  assert.equal(i2.code, 0, i2.stderr);
  assert.match(i2.stdout, /recreated 2 trigger\(s\) on the source/);
  assert.equal(await status('target → source'), 'COMPLETED');
  assert.deepEqual(await differing(), [], 'equal after cutover to source');
  assert.deepEqual(await triggers(), triggersBefore, 'the triggers are back exactly as they were (order, definer, sql_mode)');

  // ---- the application writes on MariaDB again: default ids past the target's, the trigger fires
  const maxOnTarget = Number((await onTarget('SELECT max(id) AS m FROM public.orders')).rows[0].m);
  assert.ok(maxOnTarget > maxOrderBefore);
  const app2 = await pair.mariadb.connectMigrationUser(pair.sourceDb);
  try {
    for (let k = 0; k < 20; k++) await app2.query("INSERT INTO orders (customer, amount, status) VALUES ('back', 1, 'paid')");
  } finally {
    await app2.end();
  }
  const fresh = await my<{ id: number }[]>("SELECT id FROM orders WHERE customer = 'back' ORDER BY id");
  assert.equal(fresh.length, 20);
  assert.ok(fresh[0].id > maxOnTarget, `new ids start after the target's (${fresh[0].id} > ${maxOnTarget})`);
  assert.equal(await count('audit', `order_id >= ${fresh[0].id}`), 40, 'both triggers fire again, in order');

  // ---- end migration: nothing left on either side; the restore script is in the backup
  await cli(['end', 'migration', '--export-dir', dir, '--backup-log-files', 'false', '--backup-data-files', 'false',
    '--backup-schema-files', 'true', '--save-migration-reports', 'true', '--backup-dir', backupDir]);
  await assertNothingLeft(pair.pg, pair.targetDb);
  assert.deepEqual(await pair.mariadb.query("SHOW DATABASES LIKE 'ybvoyager%'"), [], 'no metadata database left on MariaDB');
  assert.match(fs.readFileSync(path.join(backupDir, 'scripts', 'source-triggers-restore.sql'), 'utf8'), /TRIGGER.*orders_audit_paid/);
  const report = JSON.parse(fs.readFileSync(path.join(backupDir, 'reports', 'data-migration-report.json'), 'utf8')) as { table_name: string; db_type: string; imported_inserts: number; exported_inserts: number }[];
  const orders = report.filter((r) => r.table_name === '"public"."orders"');
  assert.ok(orders.find((r) => r.db_type === 'target')!.exported_inserts >= 51, 'the target\'s inserts are reported as exported');
  assert.ok(orders.find((r) => r.db_type === 'source')!.imported_inserts >= 51, 'and as imported into the source');
});

test('a source user without the fall-back privileges: export data warns, cutover with fall-back is refused naming the GRANTs', { timeout: 180_000 }, async () => {
  const { mariadb, pg } = pair;
  const db = await mariadb.createDatabase('narrow');
  const tdb = await pg.createDatabase('narrow');
  await mariadb.query('CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)', [], db);
  await mariadb.query('INSERT INTO t VALUES (1, 1), (2, 2)', [], db);
  // What prepare-databases.md asks for the forward migration only.
  const user = 'ybv_forward_only';
  const password = 'Fwd#Only!42';
  for (const host of ['%', 'localhost']) {
    await mariadb.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password]);
    await mariadb.query(`GRANT SELECT, SHOW VIEW, TRIGGER ON \`${db}\`.* TO ?@?`, [user, host]);
    await mariadb.query('GRANT REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.* TO ?@?', [user, host]);
    await mariadb.query('GRANT SELECT ON mysql.proc TO ?@?', [user, host]);
  }
  const narrowDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-mysql-narrow-'));
  try {
    const srcFlags = ['--export-dir', narrowDir, ...mariadb.flags(db).map((f) => (f === 'ybvoyager' ? user : f))];
    const asNarrow = { SOURCE_DB_PASSWORD: password };
    assert.equal((await start(['export', 'schema', ...srcFlags], asNarrow).wait()).code, 0);
    await cli(['import', 'schema', '--export-dir', narrowDir, ...pg.flags('target', tdb)]);
    const exporter = start(['export', 'data', 'from', 'source', ...srcFlags, '--export-type', 'snapshot-and-changes', '--disable-pb', 'true'], asNarrow);
    await exporter.waitForLine(/streaming changes/, { timeoutMs: 120_000 });
    assert.match(exporter.stderr(), /WARNING: the source user '.*' cannot apply the fall-back stream .*GRANT INSERT, UPDATE, DELETE ON `narrow_\w+`\.\*/);

    const refused = await runCli(['initiate', 'cutover', 'to', 'target', '--export-dir', narrowDir, '--prepare-for-fall-back', 'true'], { env });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cannot apply the fall-back stream/);
    assert.match(refused.stderr, /GRANT INSERT, UPDATE, DELETE ON `narrow_\w+`\.\*/);
    assert.match(refused.stderr, /ybvoyager_metadata/);
    assert.equal(await cutoverStatus(cli, narrowDir, 'source → target'), 'NOT_INITIATED', 'nothing was requested');
    await exporter.stop('SIGTERM');
  } finally {
    fs.rmSync(narrowDir, { recursive: true, force: true });
  }
});
