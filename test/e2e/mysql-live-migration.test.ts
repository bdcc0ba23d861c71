/**
 * MariaDB → PostgreSQL live migration through the CLI, as the seed's workflow runs it: export schema, import
 * schema, export data (snapshot and binlog changes) and import data, with a workload on the source all along
 * (inserts, updates, deletes, primary-key updates, deletes that cascade on MariaDB without reaching the
 * binlog, a trigger whose rows do reach it), each process killed with kill -9 twice, then cutover to target.
 * Afterwards every table equals the source row by row; the type matrix reads the same on the target whether a
 * row came with the snapshot or through the binlog; generated columns are computed or copied, as the target
 * defines them; the target's identity continues past every id; the metrics blocks agree with the report.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD } from '../helpers/mariadb-server.js';
import { SCHEMA, sideBySide, TABLE_COLUMNS, TY_VALUES, workStep } from '../helpers/mysql-app.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

const ENV = { SOURCE_DB_PASSWORD: MYSQL_MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_METRICS_INTERVAL_MS: '1000' };

let mariadb: MariaDbServer;
let pg: PgCluster;
let sourceDb: string;
let targetDb: string;
let dir: string;
const running = new Set<RunningCli>();

before(async () => {
  [mariadb, pg] = await Promise.all([MariaDbServer.start({ extraArgs: ['--binlog-row-metadata=FULL'] }), PgCluster.start()]);
  sourceDb = await mariadb.createDatabase('shop');
  targetDb = await pg.createDatabase('shop');
  for (const ddl of SCHEMA) await mariadb.query(ddl, [], sourceDb);
  await mariadb.query('INSERT INTO parent SELECT seq, CONCAT(\'p\', seq) FROM seq_1_to_200', [], sourceDb);
  await mariadb.query('INSERT INTO child SELECT seq, 1 + seq % 200, CONCAT(\'c\', seq) FROM seq_1_to_800', [], sourceDb);
  await mariadb.query('INSERT INTO orders (customer, amount) SELECT CONCAT(\'cu\', seq), seq / 4 FROM seq_1_to_3000', [], sourceDb);
  for (const [i, v] of TY_VALUES.entries()) await mariadb.query(`INSERT INTO ty VALUES (${i + 1}, ${v})`, [], sourceDb);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-mysql-'));
});

after(async () => {
  for (const c of running) await c.kill9().catch(() => undefined);
  await Promise.all([mariadb?.stop(), pg?.stop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function start(args: string[]): RunningCli {
  const c = startCli(args, { env: ENV });
  running.add(c);
  return c;
}

const src = () => mariadb.flags(sourceDb);
const tgt = () => pg.flags('target', targetDb);
const exportData = () => start(['export', 'data', 'from', 'source', '--export-dir', dir, ...src(), '--export-type', 'snapshot-and-changes', '--disable-pb', 'true', '--yes']);
const importData = () => start(['import', 'data', 'to', 'target', '--export-dir', dir, ...tgt(), '--disable-pb', 'true', '--yes']);

test('MariaDB → PostgreSQL: live migration under writes, kill -9 of both processes, cutover; every row equal', async () => {
  const es = await runCli(['export', 'schema', '--export-dir', dir, ...src()], { env: ENV });
  assert.equal(es.code, 0, es.stderr);
  const is = await runCli(['import', 'schema', '--export-dir', dir, ...tgt()], { env: ENV });
  assert.equal(is.code, 0, is.stderr);

  let stop = false;
  let n = 0;
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const writer = await mariadb.connectMigrationUser(sourceDb);
  const workload = (async () => {
    while (!stop) await workStep(writer, n++, rnd);
  })();

  let exporter = exportData();
  await exporter.waitForLine(/streaming changes/, { timeoutMs: 120_000 });
  let importer = importData();
  await importer.waitForLine(/applying the streamed changes/, { timeoutMs: 120_000 });
  for (let round = 0; round < 2; round++) {
    // Kill each process while changes flow, and start it again.
    const before = n;
    await waitFor(() => n >= before + 150, 'the workload to go on');
    await exporter.kill9();
    running.delete(exporter);
    exporter = exportData();
    await exporter.waitForLine(/streaming changes/, { timeoutMs: 120_000 });
    await waitFor(() => n >= before + 300, 'the workload to go on');
    await importer.kill9();
    running.delete(importer);
    importer = importData();
    await importer.waitForLine(/applying the streamed changes/, { timeoutMs: 120_000 });
  }
  // Rows of the type matrix that travel through the binlog, with the same values as the snapshot's.
  for (const [i, v] of TY_VALUES.entries()) await writer.query(`INSERT INTO ty VALUES (${101 + i}, ${v})`);
  stop = true;
  await workload;
  await writer.end();
  assert.ok(n > 300, `workload ran ${n} transactions`);

  const cut = await runCli(['initiate', 'cutover', 'to', 'target', '--export-dir', dir, '--prepare-for-fall-back', 'false', '--yes'], { env: ENV });
  assert.equal(cut.code, 0, cut.stderr);
  const [e, i] = await Promise.all([exporter.wait(), importer.wait()]);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(i.code, 0, i.stderr);
  assert.match((await runCli(['cutover', 'status', '--export-dir', dir], { env: ENV })).stdout, /source → target\s*\|\s*COMPLETED/);

  for (const [table, cols] of Object.entries(TABLE_COLUMNS)) {
    const { source, target } = await sideBySide({ mariadb, sourceDb, pg, targetDb }, table, cols);
    assert.ok(source.length > 0, `${table} has rows`);
    assert.deepEqual(target, source, `${table} equal row by row`);
  }

  const ty = await pg.query(`SELECT id, t.*::text AS r FROM public.ty t ORDER BY id`, [], targetDb);
  const byId = new Map(ty.rows.map((r) => [Number(r.id), String(r.r).replace(/^\(\d+,/, '(')]));
  for (let k = 1; k <= TY_VALUES.length; k++) assert.equal(byId.get(100 + k), byId.get(k), `type row ${k}: binlog = snapshot`);
  const first = (await pg.query(`SELECT u64::text, d65::text, f::text, b64::text, y::text, e::text, s, j::text, t::text, dt::text, ts::text, vc, tx, encode(bn, 'hex') AS bn, t1::text, ui::text FROM public.ty WHERE id = 1`, [], targetDb)).rows[0];
  assert.deepEqual(first, {
    u64: '18446744073709551615', d65: '12345678901234567890123456789012345.123456789012345678901234567890', f: '0.1',
    b64: '1000000000000000000000000000000000000000000000000000000000000001', y: '0', e: '', s: 'x,z', j: '{"k": [1, 2.50, "é"]}',
    t: '23:59:59.999999', dt: '2024-02-29 13:14:15.123456', ts: '2038-01-19 03:14:07.5+00', vc: 'tab\there', tx: 'line\nbreak and \\ backslash 😀',
    bn: '61000000', t1: '2', ui: '4294967295',
  });

  // The report: what was exported from MariaDB was imported into PostgreSQL, table by table.
  const rep = await runCli(['get', 'data-migration-report', '--export-dir', dir, '--output-format', 'json'], { env: ENV });
  assert.equal(rep.code, 0, rep.stderr);
  const rows = (JSON.parse(rep.stdout) as { tables: Record<string, number | string>[] }).tables;
  for (const table of Object.keys(TABLE_COLUMNS)) {
    const name = `"public"."${table}"`;
    const s = rows.find((r) => r.table_name === name && r.db_type === 'source');
    const g = rows.find((r) => r.table_name === name && r.db_type === 'target');
    assert.ok(s && g, `report rows for ${name}`);
    assert.deepEqual([g.imported_inserts, g.imported_updates, g.imported_deletes], [s.exported_inserts, s.exported_updates, s.exported_deletes], name);
  }

  // The same metrics as for PostgreSQL: the last block of each process agrees with the other and with the report.
  const lastMetric = (out: string, name: string) => {
    const all = [...out.matchAll(new RegExp(`\\|\\s*${name}\\s*\\|\\s*(\\d+)\\s*\\|`, 'g'))];
    assert.ok(all.length > 0, `no "${name}" metric in:\n${out.slice(-2000)}`);
    return Number(all[all.length - 1][1]);
  };
  const reported = rows.filter((r) => r.db_type === 'source')
    .reduce((sum, r) => sum + Number(r.exported_inserts) + Number(r.exported_updates) + Number(r.exported_deletes), 0);
  assert.ok(reported > 300, `${reported} change events reported`);
  assert.equal(lastMetric(e.stdout, 'Total Exported Events'), reported, 'the exporter\'s total is the report\'s');
  assert.equal(lastMetric(i.stdout, 'Total Imported events'), reported, 'the importer\'s total is the report\'s');
  assert.equal(lastMetric(i.stdout, 'Remaining Events'), 0);

  // The application now writes to the target: the identity continues past every id MariaDB handed out.
  const maxId = Number((await pg.query('SELECT max(id) AS m FROM public.orders', [], targetDb)).rows[0].m);
  const next = await pg.query("INSERT INTO public.orders (customer, amount) VALUES ('after', 1) RETURNING id", [], targetDb);
  assert.ok(Number(next.rows[0].id) > maxId, `new id ${next.rows[0].id} > ${maxId}`);

  const archived = await runCli(['archive', 'changes', '--export-dir', dir, '--policy', 'delete', '--fs-utilization-threshold', '0'], { env: ENV });
  assert.equal(archived.code, 0, archived.stderr);
  assert.match(archived.stdout, /the migration is complete/);
  const ended = await runCli(['end', 'migration', '--export-dir', dir, '--backup-log-files', 'false', '--backup-data-files', 'false',
    '--backup-schema-files', 'false', '--save-migration-reports', 'false'], { env: ENV });
  assert.equal(ended.code, 0, ended.stderr);
  const left = await pg.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ybvoyager%'", [], targetDb);
  assert.deepEqual(left.rows, [], 'end migration leaves no metadata schema on the target');
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
