/**
 * MariaDB → PostgreSQL benchmark (not a test): one private MariaDB server and one private PostgreSQL cluster, in
 * one run, each of ours against the simplest thing a user would try on the same servers:
 *
 * (1) Snapshot of --rows rows (60 % orders, 30 % order_lines, 10 % customers: bigint/int keys, DECIMAL, VARCHAR with
 *     tabs and backslashes in some rows, DATETIME(6), NULLs) into the schema our `export schema` + `import schema`
 *     made:
 *     (a) ours: `export data from source --export-type snapshot-only`, then `import data to target` (default
 *         flags: 4 jobs), wall time of both;
 *     (b) anchor: per table, all tables at once,
 *           mariadb --batch --skip-column-names --quick -e 'SELECT * FROM t' db | psql -c "COPY t FROM STDIN WITH (NULL 'NULL')"
 *         (the client's batch output is PostgreSQL's text COPY format: tab-separated, \t \n \\ escaped, NULL
 *         written as the word NULL — hence the NULL option; it would misread a VARCHAR holding the text 'NULL',
 *         which this data does not have). Both targets are compared table by table (md5 of every row in key order).
 * (2) Binlog catch-up: our exporter and importer stream a small table, are stopped (SIGINT), and the source
 *     commits a backlog of --txns transactions (each: one INSERT and one UPDATE of a heartbeat row, 2 row events);
 *     (c) ceiling: @vlasky/zongji alone (the binlog reader our exporter uses) reading the same binlog range,
 *         counting row events;
 *     (a) ours: both processes started on the backlog; done = the last heartbeat value is on the target. The
 *         moment the exporter has queued every event is reported too (its own rate, while the importer runs).
 * Peak RSS of our processes from /proc (VmHWM / sampled VmRSS).
 *
 *   node dist/bench/mysql-bench.js [--rows 1000000] [--txns 100000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ZongJi from '@vlasky/zongji';
import Database from 'better-sqlite3';
import { cliArgv, runCli, startCli, type RunningCli } from '../test/helpers/cli.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD, MYSQL_MIGRATION_USER } from '../test/helpers/mariadb-server.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../test/helpers/pg-cluster.js';
import { heartbeatSeen, RssSampler, run } from './bench-helpers.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const ROWS = arg('rows', 1_000_000);
const TXNS = arg('txns', 100_000);
const ENV = { SOURCE_DB_PASSWORD: MYSQL_MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };

const SNAPSHOT_TABLES: { name: string; share: number; ddl: string; fill: (n: number) => string }[] = [
  {
    name: 'orders', share: 0.6,
    ddl: 'CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, amount decimal(12,2) NOT NULL, note varchar(64), created datetime(6) NOT NULL)',
    fill: (n) => `INSERT INTO orders SELECT seq, seq % 50000, (seq % 100000) / 7,
      IF(seq % 1000 = 0, CONCAT('tab\there \\\\ ', seq), CONCAT('note-', MD5(seq))), '2020-01-01' + INTERVAL seq SECOND + INTERVAL seq % 1000000 MICROSECOND FROM seq_1_to_${n}`,
  },
  {
    name: 'order_lines', share: 0.3,
    ddl: 'CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint NOT NULL, qty int NOT NULL, price decimal(10,2) NOT NULL, sku varchar(32) NOT NULL, shipped datetime NULL)',
    fill: (n) => `INSERT INTO order_lines SELECT seq, 1 + seq % 600000, seq % 17, (seq % 10000) / 3, CONCAT('SKU-', seq % 9973), IF(seq % 3 = 0, NULL, '2021-06-01' + INTERVAL seq MINUTE) FROM seq_1_to_${n}`,
  },
  {
    name: 'customers', share: 0.1,
    ddl: 'CREATE TABLE customers (id int PRIMARY KEY, name varchar(80) NOT NULL, balance decimal(14,4) NOT NULL, since datetime(6) NOT NULL, city varchar(40))',
    fill: (n) => `INSERT INTO customers SELECT seq, CONCAT('Customer ', seq, ' ', LEFT(MD5(seq), 10)), seq * 1.0001 - 500, '2010-01-01' + INTERVAL seq HOUR, ELT(1 + seq % 4, 'Zürich', 'Kraków', NULL, 'São Paulo') FROM seq_1_to_${n}`,
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const step = (what: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${what}`);

const [mariadb, target] = await Promise.all([MariaDbServer.start({ extraArgs: ['--binlog-row-metadata=FULL', '--innodb-buffer-pool-size=256M'] }), PgCluster.start()]);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-mysql-bench-'));
const procs: RunningCli[] = [];
const rss = new RssSampler();

async function cli(args: string[]): Promise<void> {
  const r = await runCli(args, { env: ENV, timeoutMs: 3_600_000 });
  if (r.code !== 0) throw new Error(`${args.slice(0, 3).join(' ')} failed: ${r.stderr.slice(-2000)}`);
}

/** `export schema` from a MariaDB database into a fresh PostgreSQL database; returns the export dir and target db. */
async function migrateSchema(sourceDb: string, name: string): Promise<{ dir: string; targetDb: string }> {
  const dir = fs.mkdtempSync(path.join(work, `${name}-`));
  const targetDb = await target.createDatabase(name);
  await cli(['export', 'schema', '--export-dir', dir, ...mariadb.flags(sourceDb)]);
  await cli(['import', 'schema', '--export-dir', dir, ...target.flags('target', targetDb)]);
  return { dir, targetDb };
}

/** md5 of every row of a table in key order, on the target. */
async function digest(db: string, table: string): Promise<string> {
  const r = await target.query<{ m: string }>(`SELECT count(*) || ' rows ' || md5(string_agg(t::text, E'\\n' ORDER BY id)) AS m FROM public.${table} t`, [], db);
  return r.rows[0].m;
}

async function snapshot(): Promise<void> {
  const sourceDb = await mariadb.createDatabase('snap');
  let t = Date.now();
  for (const tb of SNAPSHOT_TABLES) {
    await mariadb.query(tb.ddl, [], sourceDb);
    await mariadb.query(tb.fill(Math.round(ROWS * tb.share)), [], sourceDb);
    await mariadb.query(`ANALYZE TABLE ${tb.name}`, [], sourceDb);
  }
  const size = await mariadb.query<{ mb: string }[]>(`SELECT ROUND(SUM(data_length + index_length) / 1048576) AS mb FROM information_schema.tables WHERE table_schema = ?`, [sourceDb]);
  console.log(`snapshot source: ${ROWS} rows in ${SNAPSHOT_TABLES.length} tables, ~${size[0].mb} MB in InnoDB, built in ${((Date.now() - t) / 1000).toFixed(0)} s; ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  const { dir, targetDb: oursDb } = await migrateSchema(sourceDb, 'ours');
  // The anchor loads into an identical copy of the converted (still empty) schema.
  const anchorDb = `anchor_${Math.random().toString(36).slice(2, 8)}`;
  await target.query(`CREATE DATABASE ${anchorDb} TEMPLATE ${oursDb}`);

  step('(a) ours: export data (snapshot-only), then import data');
  const e = await run(process.execPath, cliArgv(['export', 'data', 'from', 'source', '--export-dir', dir, ...mariadb.flags(sourceDb), '--export-type', 'snapshot-only', '--disable-pb', 'true', '--yes']), ENV, true);
  const i = await run(process.execPath, cliArgv(['import', 'data', 'to', 'target', '--export-dir', dir, ...target.flags('target', oursDb), '--disable-pb', 'true', '--yes']), ENV, true);
  const ours = e.secs + i.secs;
  console.log(`(a) ours: ${ours.toFixed(2)} s, ${Math.round(ROWS / ours)} rows/s (export ${e.secs.toFixed(2)} s, peak RSS ${e.peakRssMb} MB; import ${i.secs.toFixed(2)} s, peak RSS ${i.peakRssMb} MB)`);

  step('(b) anchor: mariadb --batch | psql COPY, one pipe per table, all at once');
  const pipeOf = (table: string) =>
    `mariadb --no-defaults -h ${mariadb.host} -P ${mariadb.port} -u ${MYSQL_MIGRATION_USER} --batch --skip-column-names --quick -e 'SELECT * FROM \`${table}\`' ${sourceDb}` +
    ` | ${path.join(target.binDir, 'psql')} -X -q -v ON_ERROR_STOP=1 -h ${target.host} -p ${target.port} -U ${MIGRATION_USER} -d ${anchorDb} -c "COPY public.${table} FROM STDIN WITH (NULL 'NULL')"`;
  const script = `set -o pipefail\n${SNAPSHOT_TABLES.map((tb) => `(${pipeOf(tb.name)}) &`).join('\n')}\nfor j in $(jobs -p); do wait $j || exit 1; done\n`;
  console.log(`    per table: ${pipeOf('<table>').replace(sourceDb, '<db>').replace(anchorDb, '<db>')}`);
  t = Date.now();
  await run('bash', ['-c', script], { MYSQL_PWD: MYSQL_MIGRATION_PASSWORD, PGPASSWORD: MIGRATION_PASSWORD }, false);
  const anchor = (Date.now() - t) / 1000;
  console.log(`(b) anchor: ${anchor.toFixed(2)} s, ${Math.round(ROWS / anchor)} rows/s`);

  for (const tb of SNAPSHOT_TABLES) {
    const [x, y] = await Promise.all([digest(oursDb, tb.name), digest(anchorDb, tb.name)]);
    console.log(`check ${tb.name}: ours ${x}, anchor ${y}: ${x === y ? 'EQUAL' : 'DIFFERENT'}`);
  }
  console.log(`snapshot ratio ours/anchor (time) = ${(ours / anchor).toFixed(2)}`);
}

/** Zongji alone from file:pos until `rows` row events were decoded; returns seconds (connect included). */
function zongjiDrain(file: string, pos: number, rows: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = Date.now();
    const counts: Record<string, number> = {};
    let seen = 0;
    let done = false;
    const z = new ZongJi({ host: mariadb.host, port: mariadb.port, user: MYSQL_MIGRATION_USER, password: MYSQL_MIGRATION_PASSWORD });
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(guard);
      setImmediate(() => z.stop());
      if (err) reject(err);
      else resolve((Date.now() - t) / 1000);
    };
    const guard = setTimeout(() => finish(new Error(`zongji saw ${seen} of ${rows} row events: ${JSON.stringify(counts)}`)), 60_000 + rows);
    z.on('binlog', (ev: { getEventName(): string; rows?: unknown[] }) => {
      const name = ev.getEventName();
      counts[name] = (counts[name] ?? 0) + 1;
      if (/rows$/.test(name)) seen += ev.rows?.length ?? 0;
      if (seen >= rows) finish();
    });
    z.on('error', finish);
    z.start({ serverId: 4242, filename: file, position: pos, includeEvents: ['rotate', 'format', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query', 'mariadbgtid'] });
  });
}

async function binlogHead(): Promise<{ file: string; pos: number }> {
  const r = await mariadb.query<{ File: string; Position: number }[]>('SHOW MASTER STATUS');
  return { file: r[0].File, pos: Number(r[0].Position) };
}

/** Streamed events our exporter has made durable in the queue so far (every table, every kind). */
function queuedEvents(metaDb: string): number {
  const db = new Database(metaDb, { readonly: true, fileMustExist: true });
  try {
    const r = db.prepare(`SELECT coalesce(sum(inserts + updates + deletes), 0) AS n FROM exported_event_counts WHERE exporter_role = 'source_db_exporter'`).get() as { n: number };
    return Number(r.n);
  } finally {
    db.close();
  }
}

async function catchUp(): Promise<void> {
  const sourceDb = await mariadb.createDatabase('cdc');
  await mariadb.query('CREATE TABLE kv (id bigint PRIMARY KEY, v int NOT NULL, note varchar(32)); CREATE TABLE hb (id int PRIMARY KEY, n bigint NOT NULL)', [], sourceDb);
  await mariadb.query("INSERT INTO kv SELECT seq, seq, CONCAT('n', seq) FROM seq_1_to_1000; INSERT INTO hb VALUES (1, -1)", [], sourceDb);
  await mariadb.query(`CREATE PROCEDURE backlog(k INT) BEGIN DECLARE i INT DEFAULT 1;
    WHILE i <= k DO START TRANSACTION; INSERT INTO kv VALUES (1000 + i, i, CONCAT('n', i)); UPDATE hb SET n = i WHERE id = 1; COMMIT; SET i = i + 1; END WHILE; END`, [], sourceDb);
  const { dir, targetDb } = await migrateSchema(sourceDb, 'cdc');
  const start = () => {
    const e = startCli(['export', 'data', 'from', 'source', '--export-dir', dir, ...mariadb.flags(sourceDb), '--export-type', 'snapshot-and-changes', '--disable-pb', 'true', '--yes'], { env: ENV });
    const i = startCli(['import', 'data', 'to', 'target', '--export-dir', dir, ...target.flags('target', targetDb), '--disable-pb', 'true', '--yes'], { env: ENV });
    procs.push(e, i);
    return [e, i] as const;
  };
  step('catch-up: snapshot + streaming of the small tables, then both processes stopped');
  let [e, i] = start();
  await e.waitForLine(/streaming changes/, { timeoutMs: 600_000 });
  await i.waitForLine(/applying the streamed changes/, { timeoutMs: 600_000 });
  await mariadb.query('UPDATE hb SET n = 0 WHERE id = 1', [], sourceDb);
  await heartbeatSeen(target, targetDb, 0);
  await i.stop('SIGINT');
  await e.stop('SIGINT');

  const from = await binlogHead();
  let t = Date.now();
  await mariadb.query('CALL backlog(?)', [TXNS], sourceDb);
  const writeS = (Date.now() - t) / 1000;
  const to = await binlogHead();
  const rows = TXNS * 2;
  console.log(`backlog: ${TXNS} transactions (2 row events each) committed in ${writeS.toFixed(1)} s by a stored procedure; binlog ${from.file}:${from.pos} → ${to.file}:${to.pos} (${((to.pos - from.pos) / 1048576).toFixed(1)} MB)`);

  step('(c) ceiling: zongji alone over the same binlog range');
  const cS = await zongjiDrain(from.file, from.pos, rows);
  console.log(`(c) zongji alone, counting row events: ${cS.toFixed(2)} s, ${Math.round(rows / cS)} events/s, ${Math.round(TXNS / cS)} tx/s`);

  step('(a) ours: exporter + importer started on the backlog');
  const metaDb = path.join(dir, 'metainfo', 'meta.db');
  const queuedBefore = queuedEvents(metaDb);
  t = Date.now();
  [e, i] = start();
  rss.watch('exporter', e.pid);
  rss.watch('importer', i.pid);
  let exportedS = NaN;
  const exportWatch = (async () => {
    while (queuedEvents(metaDb) - queuedBefore < rows) await sleep(20);
    exportedS = (Date.now() - t) / 1000;
  })();
  await heartbeatSeen(target, targetDb, TXNS);
  const aS = (Date.now() - t) / 1000;
  await exportWatch;
  console.log(`(a) ours (export + import processes, start-up included): ${aS.toFixed(2)} s, ${Math.round(rows / aS)} events/s, ${Math.round(TXNS / aS)} tx/s`);
  console.log(`    the exporter had queued every event (while the importer ran) after ${exportedS.toFixed(2)} s: ${Math.round(rows / exportedS)} events/s`);
  console.log(`    peak RSS: exporter ${rss.peak('exporter')} MB, importer ${rss.peak('importer')} MB`);
  const n = (await target.query<{ n: string }>('SELECT count(*) AS n FROM public.kv', [], targetDb)).rows[0].n;
  console.log(`check kv: ${n} rows on the target, ${1000 + TXNS} on the source: ${Number(n) === 1000 + TXNS ? 'EQUAL' : 'DIFFERENT'}`);
  console.log(`catch-up ratio ours/zongji-alone (events/s) = ${(cS / aS).toFixed(2)}; exporter alone / zongji alone = ${(cS / exportedS).toFixed(2)}`);
  await i.stop('SIGINT');
  await e.stop('SIGINT');
}

try {
  if (ROWS > 0) await snapshot();
  if (TXNS > 0) await catchUp();
} finally {
  rss.stop();
  for (const p of procs) await p.kill9().catch(() => undefined);
  await Promise.all([mariadb.stop(), target.stop()]);
  fs.rmSync(work, { recursive: true, force: true });
}
