/**
 * Fall-back onto MariaDB (not a test): PostgreSQL target → MariaDB source, after a cutover to target with
 * fall-back, on one private MariaDB server and one private PostgreSQL cluster, in one run:
 *
 * (1) Lag: the application commits --rate transactions per second on PostgreSQL for --seconds (each: one INSERT
 *     into kv and one UPDATE of the heartbeat row hb to the transaction's number); a watcher on MariaDB reads
 *     the heartbeat every 2 ms: lag = PostgreSQL commit → first seen on MariaDB, p50/p99/max.
 * (2) Catch-up: both fall-back processes are stopped (SIGINT), PostgreSQL commits a backlog of --txns such
 *     transactions (a procedure committing each), both are restarted with the commands they print; done = the
 *     last heartbeat is on MariaDB (process start-up included). Anchors, on the same MariaDB in the same run:
 *     (b) one client replaying the same transactions as a plain application would (BEGIN; INSERT; UPDATE;
 *         COMMIT, one connection, one round trip per statement), and
 *     (c) the server's own ceiling: a stored procedure committing the same transactions inside MariaDB.
 *     Ratios are anchor time / our time (≥ 1: faster than the anchor).
 * Peak RSS of the two fall-back processes from /proc (sampled VmRSS).
 *
 *   node dist/bench/mysql-fallback-bench.js [--rate 500] [--seconds 20] [--txns 50000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { runCli, startCli, type RunningCli } from '../test/helpers/cli.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD } from '../test/helpers/mariadb-server.js';
import { MIGRATION_PASSWORD, PgCluster } from '../test/helpers/pg-cluster.js';
import { RssSampler } from './bench-helpers.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const RATE = arg('rate', 500);
const SECONDS = arg('seconds', 20);
const TXNS = arg('txns', 50_000);
const ENV = { SOURCE_DB_PASSWORD: MYSQL_MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const step = (what: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${what}`);
const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

const [mariadb, target] = await Promise.all([MariaDbServer.start({ extraArgs: ['--binlog-row-metadata=FULL', '--innodb-buffer-pool-size=256M'] }), PgCluster.start()]);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-mysql-fb-bench-'));
const procs: RunningCli[] = [];
const rss = new RssSampler();

function start(args: string[]): RunningCli {
  const p = startCli(args, { env: ENV });
  procs.push(p);
  return p;
}

async function cli(args: string[]): Promise<string> {
  const r = await runCli(args, { env: ENV, timeoutMs: 3_600_000 });
  if (r.code !== 0) throw new Error(`${args.slice(0, 4).join(' ')} failed: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** The heartbeat on MariaDB, read every 2 ms; `onAdvance` gets each new value with the time it was first seen. */
async function watchHeartbeat(db: string, until: number, onAdvance: (n: number, at: number) => void): Promise<number> {
  const c = await mariadb.connectMigrationUser(db);
  try {
    let last = -1;
    for (;;) {
      const [rows] = await c.query('SELECT n FROM hb WHERE id = 1');
      const n = Number((rows as { n: number }[])[0].n);
      if (n > last) {
        onAdvance(n, Date.now());
        last = n;
      }
      if (n >= until) return Date.now();
      await sleep(2);
    }
  } finally {
    await c.end();
  }
}

/** Transactions `from`…`to` on PostgreSQL at `rate` per second; returns each one's commit time by number. */
async function appOnTarget(c: pg.Client, from: number, to: number, rate: number): Promise<Map<number, number>> {
  const committed = new Map<number, number>();
  const t0 = Date.now();
  for (let k = from; k <= to; k++) {
    const due = t0 + ((k - from) * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    await c.query(`BEGIN; INSERT INTO kv VALUES (${1_000_000 + k}, ${k}, 'n${k}'); UPDATE hb SET n = ${k} WHERE id = 1; COMMIT`);
    committed.set(k, Date.now());
  }
  return committed;
}

try {
  step('setup: MariaDB source, schema migrated, live migration, cutover to target with fall-back');
  const sourceDb = await mariadb.createDatabase('fb');
  await mariadb.query('CREATE TABLE kv (id bigint PRIMARY KEY, v int NOT NULL, note varchar(32)); CREATE TABLE hb (id int PRIMARY KEY, n bigint NOT NULL)', [], sourceDb);
  await mariadb.query("INSERT INTO kv SELECT seq, seq, CONCAT('n', seq) FROM seq_1_to_1000; INSERT INTO hb VALUES (1, 0)", [], sourceDb);
  const targetDb = await target.createDatabase('fb');
  const dir = fs.mkdtempSync(path.join(work, 'fb-'));
  await cli(['export', 'schema', '--export-dir', dir, ...mariadb.flags(sourceDb)]);
  await cli(['import', 'schema', '--export-dir', dir, ...target.flags('target', targetDb)]);
  const exporter = start(['export', 'data', 'from', 'source', '--export-dir', dir, ...mariadb.flags(sourceDb), '--export-type', 'snapshot-and-changes', '--disable-pb', 'true']);
  await exporter.waitForLine(/streaming changes/, { timeoutMs: 600_000 });
  const importer = start(['import', 'data', 'to', 'target', '--export-dir', dir, ...target.flags('target', targetDb), '--disable-pb', 'true']);
  await importer.waitForLine(/applying the streamed changes/, { timeoutMs: 600_000 });
  await cli(['initiate', 'cutover', 'to', 'target', '--export-dir', dir, '--prepare-for-fall-back', 'true']);
  await importer.waitForLine(/streaming changes from the target/, { timeoutMs: 600_000 });
  await exporter.waitForLine(/importing the target's changes to the source/, { timeoutMs: 600_000 });
  rss.watch('export data from target', importer.pid);
  rss.watch('import data to source', exporter.pid);
  const app = await target.connectAdmin(targetDb);

  step(`(1) lag: ${RATE} tx/s on PostgreSQL for ${SECONDS} s, each seen on MariaDB`);
  const last = RATE * SECONDS;
  const seenAt = new Map<number, number>();
  const watcher = watchHeartbeat(sourceDb, last, (n, at) => seenAt.set(n, at));
  const committed = await appOnTarget(app, 1, last, RATE);
  await watcher;
  // A heartbeat value may be overtaken before the watcher reads it: each transaction is seen when the first
  // value at or past it is.
  const seen = [...seenAt.entries()].sort((a, b) => a[0] - b[0]);
  const lags: number[] = [];
  let j = 0;
  for (const [k, at] of [...committed.entries()].sort((a, b) => a[0] - b[0])) {
    while (seen[j][0] < k) j++;
    lags.push(Math.max(0, seen[j][1] - at));
  }
  const achieved = last / ((committed.get(last)! - committed.get(1)!) / 1000);
  console.log(`(1) lag PostgreSQL commit → visible on MariaDB at ${Math.round(achieved)} tx/s: p50 ${quantile(lags, 0.5)} ms, p99 ${quantile(lags, 0.99)} ms, max ${quantile(lags, 1)} ms (${lags.length} transactions)`);

  step(`(2) catch-up: both fall-back processes stopped, ${TXNS} transactions committed on PostgreSQL meanwhile`);
  const restartExport = /restart it with: yb-voyager (.*) --target-db-password/.exec(importer.stdout())?.[1];
  const restartImport = /restart it with: yb-voyager (.*) --source-db-password/.exec(exporter.stdout())?.[1];
  if (!restartExport || !restartImport) throw new Error('a fall-back process printed no restart command');
  await importer.stop('SIGINT');
  await exporter.stop('SIGINT');
  await target.query(`CREATE PROCEDURE backlog(a int, b int) LANGUAGE plpgsql AS $$ BEGIN
    FOR k IN a..b LOOP INSERT INTO kv VALUES (1000000 + k, k, 'n' || k); UPDATE hb SET n = k WHERE id = 1; COMMIT; END LOOP; END $$`, [], targetDb);
  await app.query('CALL backlog($1, $2)', [last + 1, last + TXNS]);
  let t = Date.now();
  const fbExporter = start(restartExport.split(' '));
  const fbImporter = start(restartImport.split(' '));
  rss.watch('export data from target', fbExporter.pid);
  rss.watch('import data to source', fbImporter.pid);
  await watchHeartbeat(sourceDb, last + TXNS, () => undefined);
  const oursS = (Date.now() - t) / 1000;
  console.log(`(a) ours (export data from target + import data to source, start-up included): ${oursS.toFixed(2)} s, ${Math.round(TXNS / oursS)} tx/s`);
  const counts = await Promise.all([
    mariadb.query<{ n: number }[]>('SELECT count(*) AS n FROM kv', [], sourceDb).then((r) => Number(r[0].n)),
    target.query<{ n: string }>('SELECT count(*) AS n FROM kv', [], targetDb).then((r) => Number(r.rows[0].n)),
  ]);
  console.log(`check kv: ${counts[0]} rows on MariaDB, ${counts[1]} on PostgreSQL: ${counts[0] === counts[1] ? 'EQUAL' : 'DIFFERENT'}`);
  console.log(`    peak RSS: export data from target ${rss.peak('export data from target')} MB, import data to source ${rss.peak('import data to source')} MB`);
  await fbImporter.stop('SIGINT');
  await fbExporter.stop('SIGINT');

  step('(b) anchor: one client replaying the same transactions on MariaDB');
  const anchorDb = await mariadb.createDatabase('anchor');
  await mariadb.query('CREATE TABLE kv (id bigint PRIMARY KEY, v int NOT NULL, note varchar(32)); CREATE TABLE hb (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO hb VALUES (1, 0)', [], anchorDb);
  const replayer = await mariadb.connectMigrationUser(anchorDb);
  t = Date.now();
  for (let k = 1; k <= TXNS; k++) {
    await replayer.query('BEGIN');
    await replayer.query('INSERT INTO kv VALUES (?, ?, ?)', [1_000_000 + k, k, `n${k}`]);
    await replayer.query('UPDATE hb SET n = ? WHERE id = 1', [k]);
    await replayer.query('COMMIT');
  }
  const replayS = (Date.now() - t) / 1000;
  await replayer.end();
  console.log(`(b) one-connection replay: ${replayS.toFixed(2)} s, ${Math.round(TXNS / replayS)} tx/s`);

  step('(c) anchor: the same transactions committed by a stored procedure inside MariaDB');
  await mariadb.query(`DELETE FROM kv; UPDATE hb SET n = 0; CREATE PROCEDURE backlog(k INT) BEGIN DECLARE i INT DEFAULT 1;
    WHILE i <= k DO START TRANSACTION; INSERT INTO kv VALUES (1000000 + i, i, CONCAT('n', i)); UPDATE hb SET n = i WHERE id = 1; COMMIT; SET i = i + 1; END WHILE; END`, [], anchorDb);
  t = Date.now();
  await mariadb.query('CALL backlog(?)', [TXNS], anchorDb);
  const procS = (Date.now() - t) / 1000;
  console.log(`(c) stored procedure: ${procS.toFixed(2)} s, ${Math.round(TXNS / procS)} tx/s`);
  console.log(`catch-up ratio (anchor time / ours): vs one-connection replay ${(replayS / oursS).toFixed(2)}, vs the server's own procedure ${(procS / oursS).toFixed(2)}`);
  await app.end();
} finally {
  rss.stop();
  for (const p of procs) await p.kill9().catch(() => undefined);
  await Promise.all([mariadb.stop(), target.stop()]);
  fs.rmSync(work, { recursive: true, force: true });
}
