/**
 * verify data through the CLI: identical databases pass; a changed value, a deleted row, an extra row, a moved
 * key and a duplicated keyless row (each in a different table, one mixed-case, one partitioned) are each named
 * with their key; and while a write workload streams it finds no false difference, but finds a corruption
 * made on the target meanwhile.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { APP_SCHEMA_SQL, seed, Workload } from '../../demo/workload.js';
import { EXIT_CODES } from '../../src/infra/errors.js';
import { runCli } from '../helpers/cli.js';
import { cliSession, poll } from '../helpers/live-rig.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../helpers/pg-cluster.js';

let source: PgCluster;
let target: PgCluster;
const dirs: string[] = [];
// Small key ranges: several per table, so range bounds (composite keys too) and drill-down across them are exercised.
const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_VERIFY_CHUNK_ROWS: '400' };
const { start, cli, killAll } = cliSession(env);

before(async () => {
  [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
});

after(async () => {
  await killAll();
  await Promise.all([source?.stop(), target?.stop()]);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const TYPES_SQL = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE TABLE a (id int PRIMARY KEY, v text, n numeric(20,6), ts timestamptz, arr int[], j jsonb, b bytea, f float8, m mood);
  INSERT INTO a SELECT g, 'v' || g, g * 1.000001, '2026-01-01 00:00:00.123456+00'::timestamptz + g * interval '1 second',
    ARRAY[g, g + 1], jsonb_build_object('g', g, 'x', 'y'), decode(lpad(to_hex(g), 8, '0'), 'hex'), g / 3.0, 'ok' FROM generate_series(1, 2500) g;
  CREATE TABLE "Mixed Case" (k1 int, k2 text, v text, PRIMARY KEY (k1, k2));
  INSERT INTO "Mixed Case" SELECT g % 50, chr(97 + g % 26) || g, 'x' FROM generate_series(1, 1200) g;
  CREATE TABLE p (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
  CREATE TABLE p_lo PARTITION OF p FOR VALUES FROM (0) TO (500);
  CREATE TABLE p_hi PARTITION OF p FOR VALUES FROM (500) TO (2000);
  INSERT INTO p SELECT g, 'p' || g FROM generate_series(1, 1500) g;
  CREATE TABLE "select" (id int PRIMARY KEY, "from" text);
  INSERT INTO "select" SELECT g, 'f' || g FROM generate_series(1, 300) g;
  CREATE TABLE nokey (v text, w int);
  INSERT INTO nokey SELECT 'row ' || (g % 10), g % 3 FROM generate_series(1, 100) g;`;

async function migration(setup: string, live: boolean) {
  const srcDb = await source.createDatabase('vd');
  const tgtDb = await target.createDatabase('vd');
  await source.query(setup, [], srcDb);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-verify-'));
  dirs.push(dir);
  const srcFlags = ['--export-dir', dir, ...source.flags('source', srcDb), '--source-db-schema', 'public'];
  const tgtFlags = ['--export-dir', dir, ...target.flags('target', tgtDb)];
  await cli(['export', 'schema', ...srcFlags]);
  await cli(['import', 'schema', ...tgtFlags]);
  return { srcDb, tgtDb, dir, srcFlags, tgtFlags, live };
}

const verify = (dir: string, extra: string[] = []) => runCli(['verify', 'data', '--export-dir', dir, '--parallel-jobs', '3', ...extra], { env });

test('identical → exit 0; then five kinds of difference, each named with its table and key', { timeout: 180_000 }, async () => {
  const m = await migration(TYPES_SQL, false);
  await cli(['export', 'data', 'from', 'source', ...m.srcFlags]);
  await cli(['import', 'data', 'to', 'target', ...m.tgtFlags]);
  await cli(['import', 'schema', ...m.tgtFlags, '--post-snapshot-import', 'true']);

  const ok = await verify(m.dir);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /every table is identical on source and target \(5 tables\)/);
  assert.match(ok.stdout, /"public"\."a"[\s│]+2500[\s│]+2500[\s│]+7[\s│]+IDENTICAL/, 'seven ranges of 400 rows');
  assert.match(ok.stdout, /"public"\."Mixed Case"[\s│]+1200[\s│]+1200[\s│]+4[\s│]+IDENTICAL/, 'a composite key cut into ranges');

  await target.query(`
    UPDATE a SET v = 'changed' WHERE id = 5;
    DELETE FROM "Mixed Case" WHERE k1 = 3 AND k2 = 'd3';
    INSERT INTO p VALUES (1999, 'extra');
    UPDATE "select" SET id = 1000 WHERE id = 7;
    INSERT INTO nokey VALUES ('row 1', 1);`, [], m.tgtDb);
  const bad = await verify(m.dir, ['--disable-pb', 'true']);
  assert.equal(bad.code, EXIT_CODES.mismatch, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /"public"\."a" \(id=5\): different values in v$/m);
  assert.match(bad.stdout, /"public"\."Mixed Case" \(k1=3, k2=d3\): missing on target$/m);
  assert.match(bad.stdout, /"public"\."p" \(id=1999\): extra on target$/m);
  assert.match(bad.stdout, /"public"\."select" \(id=7\): missing on target$/m);
  assert.match(bad.stdout, /"public"\."select" \(id=1000\): extra on target$/m);
  assert.match(bad.stdout, /"public"\."nokey" \(row_hash=[0-9a-f]{32}\): extra on target$/m);
  assert.match(bad.stderr, /5 table\(s\) differ/);
  const report = JSON.parse(fs.readFileSync(path.join(m.dir, 'reports', 'verify-data.json'), 'utf8')) as { identical: boolean; tables: { table: string; verdict: string; differenceCount: number }[] };
  assert.equal(report.identical, false);
  assert.deepEqual(report.tables.map((t) => [t.table, t.verdict, t.differenceCount]).sort(), [
    ['Mixed Case', 'different', 1], ['a', 'different', 1], ['nokey', 'different', 1], ['p', 'different', 1], ['select', 'different', 2],
  ]);

  const json = await verify(m.dir, ['--output-format', 'json', '--table-list', 'a']);
  assert.equal(json.code, EXIT_CODES.mismatch);
  assert.deepEqual((JSON.parse(json.stdout) as { tables: { differences: unknown[] }[] }).tables[0].differences, [{ kind: 'different', key: { id: '5' }, columns: ['v'] }]);
});

test('while changes stream: no false difference once caught up; a corruption on the target is found', { timeout: 240_000 }, async () => {
  const m = await migration(APP_SCHEMA_SQL, true);
  const c = await source.connectAdmin(m.srcDb);
  try {
    await seed(c, 300, 4);
  } finally {
    await c.end();
  }
  const exporter = start(['export', 'data', 'from', 'source', ...m.srcFlags, '--export-type', 'snapshot-and-changes']);
  await exporter.waitForLine(/streaming changes from the source/);
  const importer = start(['import', 'data', 'to', 'target', ...m.tgtFlags]);
  await importer.waitForLine(/applying the streamed changes/);
  const appConfig: pg.ClientConfig = { host: source.host, port: source.port, user: MIGRATION_USER, password: MIGRATION_PASSWORD, database: m.srcDb };
  const app = new Workload(appConfig, 'verify');
  await app.start();
  try {
    await poll('some changes to be applied', async () => (/Total Imported events\s+\|\s+[1-9]/.test(importer.stdout()) ? true : undefined));
    const clean = await verify(m.dir, ['--disable-pb', 'true']);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /changes are streaming/);

    // (The workload updates customers 1-100 and never an email: this corruption stays until verify finds it.)
    await target.query(`UPDATE customers SET email = 'corrupted@target' WHERE id = 250`, [], m.tgtDb);
    const found = await verify(m.dir, ['--disable-pb', 'true', '--recheck-time', '30']);
    assert.equal(found.code, EXIT_CODES.mismatch, found.stdout + found.stderr);
    assert.match(found.stdout, /"public"\."customers" \(id=250\): different values in email$/m);
  } finally {
    await app.stop();
    await Promise.all([exporter.stop('SIGTERM'), importer.stop('SIGTERM')]);
  }
});
