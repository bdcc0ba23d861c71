/**
 * MariaDB → PostgreSQL with kill -9 of each process at each phase, the application writing on MariaDB all
 * along: export data dies mid-snapshot (after a chunk of a table split into several), after appending a binlog
 * change and after committing changes before acknowledging them; import data dies mid-snapshot load, before
 * and after committing applied changes; at the cutover to target the exporter dies once it has its stop
 * position and once it has written the marker, the importer once it has restored the identities and once it
 * has passed the marker. Each process is simply started again with the same arguments. Afterwards every table
 * equals MariaDB row by row, and the target's identity continues past every id.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningCli } from '../helpers/cli.js';
import { cliSession, cutoverStatus, poll } from '../helpers/live-rig.js';
import { MYSQL_MIGRATION_PASSWORD } from '../helpers/mariadb-server.js';
import { sideBySide, startMigrationPair, TABLE_COLUMNS, workStep, type MigrationPair } from '../helpers/mysql-app.js';
import { MIGRATION_PASSWORD } from '../helpers/pg-cluster.js';

// Small chunks: orders (20 000 rows) is split into several key ranges, so a kill falls between chunks of one table.
const env = { SOURCE_DB_PASSWORD: MYSQL_MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_SNAPSHOT_CHUNK_BYTES: '65536' };
const { start, cli, killAll } = cliSession(env);

let pair: MigrationPair;
let dir: string;

before(async () => {
  pair = await startMigrationPair();
  const { mariadb, sourceDb } = pair;
  await mariadb.query('INSERT INTO parent SELECT seq, CONCAT(\'p\', seq) FROM seq_1_to_200', [], sourceDb);
  await mariadb.query('INSERT INTO child SELECT seq, 1 + seq % 200, CONCAT(\'c\', seq) FROM seq_1_to_800', [], sourceDb);
  await mariadb.query('INSERT INTO orders (customer, amount) SELECT CONCAT(\'customer-\', seq), seq / 4 FROM seq_1_to_20000', [], sourceDb);
  await mariadb.query('ANALYZE TABLE orders', [], sourceDb); // its size (which decides the chunks) up to date
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-mysql-crash-'));
});

after(async () => {
  await killAll();
  await Promise.all([pair?.mariadb.stop(), pair?.pg.stop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const exportData = (failpoints?: string) =>
  start(['export', 'data', 'from', 'source', '--export-dir', dir, ...pair.mariadb.flags(pair.sourceDb), '--export-type', 'snapshot-and-changes', '--parallel-jobs', '2', '--disable-pb', 'true'],
    failpoints ? { YB_VOYAGER_FAILPOINTS: failpoints } : {});
const importData = (failpoints?: string) =>
  start(['import', 'data', 'to', 'target', '--export-dir', dir, ...pair.pg.flags('target', pair.targetDb), '--batch-size', '1000', '--disable-pb', 'true'],
    failpoints ? { YB_VOYAGER_FAILPOINTS: failpoints } : {});

/** The process dies at its failpoint (and by nothing else). */
async function diesAt(p: RunningCli, failpoint: string): Promise<void> {
  const r = await p.wait();
  assert.equal(r.signal, 'SIGKILL', `expected ${failpoint} to kill the process; exit code ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`failpoint ${failpoint.replace(/@.*/, '').replace(/\./g, '\\.')} hit`));
}

test('kill -9 of export and import at every phase under writes, then cutover: every row equal to MariaDB', { timeout: 600_000 }, async () => {
  await cli(['export', 'schema', '--export-dir', dir, ...pair.mariadb.flags(pair.sourceDb)]);
  await cli(['import', 'schema', '--export-dir', dir, ...pair.pg.flags('target', pair.targetDb)]);

  let stop = false;
  let n = 0;
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const writer = await pair.mariadb.connectMigrationUser(pair.sourceDb);
  const app = (async () => {
    while (!stop) await workStep(writer, n++, rnd);
  })();
  const progressed = async (by: number, what: string) => {
    const from = n;
    await poll(what, async () => (n >= from + by ? true : undefined));
  };

  try {
    // ---- export data: mid-snapshot, after an appended binlog change, after a commit not yet acknowledged
    await diesAt(exportData('export.chunk_recorded@3'), 'export.chunk_recorded@3');
    await progressed(30, 'the application to write after the snapshot was killed');
    await diesAt(exportData('stream-changes.after-append@40'), 'stream-changes.after-append@40');
    await progressed(30, 'the application to write while the exporter is down');
    await diesAt(exportData('stream-changes.after-commit-before-ack@3'), 'stream-changes.after-commit-before-ack@3');
    let exporter = exportData();
    await exporter.waitForLine(/streaming changes/, { timeoutMs: 120_000 });
    const orderChunks = fs.readdirSync(path.join(dir, 'data')).filter((f) => /^public\.orders-.*\.copy$/.test(f));
    assert.ok(orderChunks.length >= 3, `orders was exported in several chunks: ${orderChunks.join(' ')}`);

    // ---- import data: mid-snapshot load, before and after committing a batch of applied changes
    await diesAt(importData('import.batch_committed@4'), 'import.batch_committed@4');
    await diesAt(importData('apply.before-commit@3'), 'apply.before-commit@3');
    await progressed(50, 'the application to write while the importer is down');
    await diesAt(importData('apply.after-commit@3'), 'apply.after-commit@3');

    // ---- cutover to target: each process dies twice inside it, and is started again
    await exporter.stop('SIGTERM');
    exporter = exportData('cutover.exporter.after-stop-position');
    await exporter.waitForLine(/streaming changes/, { timeoutMs: 120_000 });
    let importer = importData('cutover.importer.after-sequences');
    await importer.waitForLine(/applying the streamed changes/, { timeoutMs: 120_000 });
    await progressed(50, 'the application to write while both processes run');
    stop = true;
    await app;

    await cli(['initiate', 'cutover', 'to', 'target', '--export-dir', dir, '--prepare-for-fall-back', 'false']);
    await diesAt(exporter, 'cutover.exporter.after-stop-position');
    await diesAt(exportData('cutover.exporter.after-marker'), 'cutover.exporter.after-marker');
    exporter = exportData();
    await diesAt(importer, 'cutover.importer.after-sequences');
    assert.equal(await cutoverStatus(cli, dir, 'source → target'), 'INITIATED');
    await diesAt(importData('cutover.importer.after-passing-marker'), 'cutover.importer.after-passing-marker');
    importer = importData();
    const [e, i] = await Promise.all([exporter.wait(), importer.wait()]);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(i.code, 0, i.stderr);
    assert.equal(await cutoverStatus(cli, dir, 'source → target'), 'COMPLETED');
  } finally {
    stop = true;
    await app;
    await writer.end();
  }
  assert.ok(n > 200, `the application ran ${n} transactions`);

  for (const [table, cols] of Object.entries(TABLE_COLUMNS)) {
    const { source, target } = await sideBySide(pair, table, cols);
    assert.ok(source.length > 0, `${table} has rows`);
    assert.deepEqual(target, source, `${table} equal row by row`);
  }
  const maxId = Number((await pair.pg.query('SELECT max(id) AS m FROM public.orders', [], pair.targetDb)).rows[0].m);
  const next = await pair.pg.query("INSERT INTO public.orders (customer, amount) VALUES ('after', 1) RETURNING id", [], pair.targetDb);
  assert.ok(Number(next.rows[0].id) > maxId, `new id ${next.rows[0].id} > ${maxId}`);
});
