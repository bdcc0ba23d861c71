/**
 * export data / import data options and guardrails through the CLI: table lists, refusals with the fix
 * named, --start-clean / --truncate-tables, a row the target refuses (named by file and row), and an
 * import that runs while the export is still going.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, startCli } from '../helpers/cli.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';
import { tableDigest } from '../helpers/table-compare.js';
import { sleep } from '../../src/infra/shutdown.js';

const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };
const SCHEMA = `
  CREATE TABLE orders (id int PRIMARY KEY, v text);
  CREATE TABLE order_items (id int PRIMARY KEY, v text);
  CREATE TABLE "Orders" (id int PRIMARY KEY, v text);
  CREATE TABLE secret (id int PRIMARY KEY, v text);
  CREATE SCHEMA "Mixed";
  CREATE TABLE "Mixed"."Case T" (id int PRIMARY KEY, v text);`;
const DATA = `
  INSERT INTO orders SELECT g, 'o' || g FROM generate_series(1, 3000) g;
  INSERT INTO order_items SELECT g, 'i' || g FROM generate_series(1, 200) g;
  INSERT INTO "Orders" SELECT g, 'O' || g FROM generate_series(1, 30) g;
  INSERT INTO secret SELECT g, 's' || g FROM generate_series(1, 5) g;
  INSERT INTO "Mixed"."Case T" SELECT g, 'm' || g FROM generate_series(1, 40) g;`;

let source: PgCluster;
let target: PgCluster;
let sdb: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-opts-'));
let n = 0;
const newDir = () => {
  const d = path.join(tmp, `e${n++}`);
  fs.mkdirSync(d);
  return d;
};

before(async () => {
  [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  sdb = await source.createDatabase('opts_src');
  await source.query(SCHEMA + DATA, [], sdb);
  await source.query(`CREATE ROLE limited LOGIN PASSWORD 'limited-pw'; GRANT USAGE ON SCHEMA public TO limited;
    GRANT SELECT ON orders, order_items, "Orders" TO limited;`, [], sdb);
});

after(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function freshTarget(schema = SCHEMA): Promise<string> {
  const db = await target.createDatabase('opts_tgt');
  await target.query(schema, [], db);
  return db;
}

const exportArgs = (dir: string, ...extra: string[]) => ['export', 'data', '--export-dir', dir, ...source.flags('source', sdb), ...extra];
const importArgs = (dir: string, tdb: string, ...extra: string[]) => ['import', 'data', '--export-dir', dir, ...target.flags('target', tdb), ...extra];

async function count(db: string, table: string): Promise<number> {
  return Number((await target.query(`SELECT count(*) AS n FROM ${table}`, [], db)).rows[0].n);
}

test('import data before any export says what to run first', async () => {
  const dir = newDir();
  const tdb = await freshTarget();
  const r = await runCli(importArgs(dir, tdb), { env: { ...env, YB_VOYAGER_EXPORT_START_GRACE_MS: '300' } });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /no exported snapshot.*export data from source first/);
});

test('import data started just before export data waits for it, then imports every row', async () => {
  const dir = newDir();
  const tdb = await freshTarget();
  const imp = startCli(importArgs(dir, tdb), { env });
  await sleep(1500); // the importer is up and finds no exporter yet
  const exp = await runCli(exportArgs(dir, '--table-list', 'orders'), { env });
  assert.equal(exp.code, 0, exp.stderr);
  const ir = await imp.wait();
  assert.equal(ir.code, 0, ir.stderr);
  assert.match(ir.stdout, /waiting for export data from source/);
  assert.deepEqual(await tableDigest(target, tdb, 'orders', 'id'), await tableDigest(source, sdb, 'orders', 'id'));
});

test('--table-list / --exclude-table-list: globs, case rules, unknown names refused', async () => {
  const dir = newDir();
  const bad = await runCli(exportArgs(dir, '--source-db-schema', 'public,nosuchschema', '--table-list', 'orders,nosuch'), { env });
  assert.equal(bad.code, 3, bad.stderr);
  assert.match(bad.stderr, /schema nosuchschema does not exist/);
  assert.match(bad.stderr, /--table-list entry nosuch matches no table/, 'all problems are reported at once');

  const r = await runCli(exportArgs(dir, '--source-db-schema', 'public,"Mixed"', '--table-list', 'order*,"Mixed"."Case T"', '--exclude-table-list', 'ORDER_ITEMS'), { env });
  assert.equal(r.code, 0, r.stderr);
  const files = fs.readdirSync(path.join(dir, 'data')).filter((f) => f.endsWith('.copy')).map((f) => f.replace(/-.*/, '')).sort();
  assert.deepEqual(files, ['Mixed.Case_T', 'public.Orders', 'public.orders'], 'unquoted order* matches "Orders" too; order_items excluded');

  const tdb = await freshTarget();
  const imp = await runCli(importArgs(dir, tdb, '--table-list', '"Orders"'), { env });
  assert.equal(imp.code, 0, imp.stderr);
  assert.deepEqual([await count(tdb, '"Orders"'), await count(tdb, 'orders'), await count(tdb, '"Mixed"."Case T"')], [30, 0, 0]);
  const rest = await runCli(importArgs(dir, tdb), { env });
  assert.equal(rest.code, 0, rest.stderr);
  assert.deepEqual([await count(tdb, '"Orders"'), await count(tdb, 'orders'), await count(tdb, '"Mixed"."Case T"'), await count(tdb, 'order_items')], [30, 3000, 40, 0]);
});

test('guardrails name the fix: SELECT privilege, and for a live migration replication, ownership and wal_level', async () => {
  const limitedEnv = { ...env, SOURCE_DB_PASSWORD: 'limited-pw' };
  const asLimited = (dir: string, ...extra: string[]) => exportArgs(dir, ...extra).map((a, i, all) => (all[i - 1] === '--source-db-user' ? 'limited' : a));
  const noSelect = await runCli(asLimited(newDir(), '--table-list', 'orders,secret'), { env: limitedEnv });
  assert.equal(noSelect.code, 3, noSelect.stderr);
  assert.match(noSelect.stderr, /no SELECT privilege on public\.secret: run GRANT SELECT ON public\.secret TO/);

  const live = await runCli(asLimited(newDir(), '--table-list', 'orders', '--export-type', 'snapshot-and-changes'), { env: limitedEnv });
  assert.equal(live.code, 3, live.stderr);
  assert.match(live.stderr, /lacks the REPLICATION attribute: run ALTER ROLE "limited" WITH REPLICATION/);
  assert.match(live.stderr, /does not own public\.orders and so cannot publish it: run ALTER TABLE public\.orders OWNER TO "limited"/);

  const replica = await PgCluster.start({ extraConf: { wal_level: 'replica' } });
  try {
    const db = await replica.createDatabase('replica_src');
    await replica.query('CREATE TABLE t (id int PRIMARY KEY)', [], db);
    const r = await runCli(['export', 'data', '--export-dir', newDir(), ...replica.flags('source', db), '--export-type', 'snapshot-and-changes'], { env });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /wal_level is replica: set wal_level = logical/);
    assert.equal((await replica.query('SELECT count(*) AS n FROM pg_replication_slots')).rows[0].n, '0');
  } finally {
    await replica.stop();
  }
});

test('non-empty target tables are refused until --start-clean --truncate-tables; then the import is exact', async () => {
  const dir = newDir();
  assert.equal((await runCli(exportArgs(dir, '--table-list', 'orders,order_items'), { env })).code, 0);
  const tdb = await freshTarget();
  await target.query(`INSERT INTO orders VALUES (1, 'already here')`, [], tdb);
  const refused = await runCli(importArgs(dir, tdb), { env });
  assert.equal(refused.code, 8, refused.stderr);
  assert.match(refused.stderr, /public\.orders already hold rows this import did not write.*--start-clean true --truncate-tables true/);
  const noTruncate = await runCli(importArgs(dir, tdb, '--start-clean', 'true'), { env });
  assert.equal(noTruncate.code, 8, noTruncate.stderr);
  assert.match(noTruncate.stderr, /--truncate-tables true/);
  assert.equal((await runCli(importArgs(dir, tdb, '--truncate-tables', 'true'), { env })).code, 2, '--truncate-tables needs --start-clean');
  const ok = await runCli(importArgs(dir, tdb, '--start-clean', 'true', '--truncate-tables', 'true'), { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(await tableDigest(target, tdb, 'orders', 'id'), await tableDigest(source, sdb, 'orders', 'id'));
  // Again, over a complete import: truncates, forgets the bookkeeping, imports once more.
  const again = await runCli(importArgs(dir, tdb, '--start-clean', 'true', '--truncate-tables', 'true', '--batch-size', '64'), { env });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await tableDigest(target, tdb, 'orders', 'id'), await tableDigest(source, sdb, 'orders', 'id'));
});

test('a row the target refuses: the error names table, file, row and cause; fixing the target and rerunning resumes', async () => {
  const dir = newDir();
  assert.equal((await runCli(exportArgs(dir, '--table-list', 'orders'), { env })).code, 0);
  const tdb = await freshTarget(SCHEMA.replace('CREATE TABLE orders (id int PRIMARY KEY, v text);', `CREATE TABLE orders (id int PRIMARY KEY, v text CONSTRAINT not_o1234 CHECK (v <> 'o1234'));`));
  const r = await runCli(importArgs(dir, tdb, '--batch-size', '1000', '--parallel-jobs', '1'), { env });
  assert.equal(r.code, 9, r.stderr);
  assert.match(r.stderr, /importing "public"\."orders" from data\/public\.orders-[0-9a-f]+\.0000\.g1\.copy, row 1234 of the file \(row 234 of batch 2\).*not_o1234/);
  assert.equal(await count(tdb, 'orders'), 1000, 'the first batch is committed, the failing one is not');
  await target.query('ALTER TABLE orders DROP CONSTRAINT not_o1234', [], tdb);
  const rerun = await runCli(importArgs(dir, tdb), { env });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(await tableDigest(target, tdb, 'orders', 'id'), await tableDigest(source, sdb, 'orders', 'id'));
});

test('import runs while the export is still exporting, and ends with every row', async () => {
  const dir = newDir();
  const exp = startCli(exportArgs(dir, '--table-list', 'orders', '--parallel-jobs', '1'), {
    env: { ...env, YB_VOYAGER_SNAPSHOT_CHUNK_BYTES: '8192', YB_VOYAGER_TEST_CHUNK_DELAY_MS: '500' },
  });
  const tdb = await freshTarget();
  const imp = startCli(importArgs(dir, tdb), { env });
  let overlapped = false;
  while (!overlapped) {
    const [eDone, iDone] = [exp.child.exitCode !== null, imp.child.exitCode !== null];
    if (eDone || iDone) break;
    overlapped = (await count(tdb, 'orders')) > 0;
    if (!overlapped) await sleep(50);
  }
  const stillExporting = exp.child.exitCode === null;
  const [er, ir] = await Promise.all([exp.wait(), imp.wait()]);
  assert.equal(er.code, 0, er.stderr);
  assert.equal(ir.code, 0, ir.stderr);
  assert.ok(overlapped && stillExporting, 'rows reached the target while the export was still running');
  assert.deepEqual(await tableDigest(target, tdb, 'orders', 'id'), await tableDigest(source, sdb, 'orders', 'id'));
});
