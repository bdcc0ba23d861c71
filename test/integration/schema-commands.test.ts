/**
 * export schema and import schema from the CLI: one-line errors (wrong password, unknown database or
 * schema, missing privilege, an existing export), reruns (--ignore-exist, statements already applied,
 * a kill -9 in the middle), --continue-on-error and schema/failed.sql, a failure that names its file and
 * statement, INVALID indexes never left behind, and --target-db-schema.
 *
 * One cluster; source and target are different databases in it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../helpers/pg-cluster.js';

const ENV = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };
const PAGILA = fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'schemas', 'pagila.sql'), 'utf8');

let pg: PgCluster;
let pagila: string;
const dirs: string[] = [];

before(async () => {
  pg = await PgCluster.start();
  pagila = await pg.createDatabase('pagila');
  await pg.query(PAGILA, [], pagila);
});
after(async () => {
  await pg?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function newExportDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-schema-cmd-'));
  dirs.push(d);
  return d;
}

const exportArgs = (dir: string, db = pagila, schemas = 'public') => ['export', 'schema', '-e', dir, ...pg.flags('source', db), '--source-db-schema', schemas];
const importArgs = (dir: string, db: string, ...more: string[]) => ['import', 'schema', '-e', dir, ...pg.flags('target', db), ...more];

/** The one line a failing command prints. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected a one-line error, got:\n${stderr}`);
  return lines[0];
}

async function exists(db: string, sql: string, params: unknown[] = []): Promise<boolean> {
  // The test cluster returns raw text: booleans are 't' / 'f'.
  return (await pg.query<{ ok: string }>(`SELECT EXISTS (${sql}) AS ok`, params, db)).rows[0].ok === 't';
}

/** An export dir holding hand-written schema files (as a person edits them), no export run needed. */
function handWrittenSchema(files: Record<string, string>): string {
  const dir = newExportDir();
  for (const [type, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, 'schema', type), { recursive: true });
    fs.writeFileSync(path.join(dir, 'schema', type, `${type}.sql`), text);
  }
  return dir;
}

describe('export schema errors', () => {
  test('wrong password: one line, exit code 4, password never printed', async () => {
    const r = await runCli(exportArgs(newExportDir()), { env: { SOURCE_DB_PASSWORD: 'wrong-password' } });
    assert.equal(r.code, 4);
    const line = oneLine(r.stderr);
    assert.match(line, /password authentication failed for user 'ybvoyager'/);
    assert.doesNotMatch(line, /wrong-password/);
  });

  test('unknown database: exit code 6', async () => {
    const r = await runCli(exportArgs(newExportDir(), 'no_such_db'), { env: ENV });
    assert.equal(r.code, 6);
    assert.match(oneLine(r.stderr), /database 'no_such_db' does not exist/);
  });

  test('unknown schema: names it and lists the existing ones, exit code 6', async () => {
    const r = await runCli(exportArgs(newExportDir(), pagila, 'public,nope'), { env: ENV });
    assert.equal(r.code, 6);
    assert.match(oneLine(r.stderr), /schema 'nope' not found in database '.*'; existing schemas: public; check --source-db-schema/);
  });

  test('missing USAGE privilege on a schema: names the GRANT, exit code 7', async () => {
    await pg.query(`CREATE SCHEMA IF NOT EXISTS private_stuff`, [], pagila);
    await pg.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'weak') THEN CREATE ROLE weak LOGIN PASSWORD 'weak-pw'; END IF; END $$`);
    const args = exportArgs(newExportDir(), pagila, 'private_stuff').map((a) => (a === MIGRATION_USER ? 'weak' : a));
    const r = await runCli(args, { env: { SOURCE_DB_PASSWORD: 'weak-pw' } });
    assert.equal(r.code, 7);
    assert.match(oneLine(r.stderr), /user 'weak' has no USAGE privilege on schema private_stuff; run GRANT USAGE ON SCHEMA private_stuff TO weak/);
  });

  test('an earlier export is replaced only with --start-clean', async () => {
    const dir = newExportDir();
    assert.equal((await runCli(exportArgs(dir), { env: ENV })).code, 0);
    const again = await runCli(exportArgs(dir), { env: ENV });
    assert.equal(again.code, 8);
    assert.match(oneLine(again.stderr), /schema is not empty .*--start-clean true/);
    fs.writeFileSync(path.join(dir, 'schema', 'tables', 'stale.sql'), 'CREATE TABLE public.stale (id int);\n');
    const clean = await runCli([...exportArgs(dir), '--start-clean', 'true'], { env: ENV });
    assert.equal(clean.code, 0, clean.stderr);
    assert.ok(!fs.existsSync(path.join(dir, 'schema', 'tables', 'stale.sql')), 'files of the earlier export are gone');
    assert.ok(fs.existsSync(path.join(dir, 'schema', 'tables', 'tables.sql')));
  });
});

describe('import schema reruns', () => {
  test('a rerun skips what is applied; after --start-clean existing objects fail, and --ignore-exist passes over them', async () => {
    const dir = newExportDir();
    const target = await pg.createDatabase('rerun');
    assert.equal((await runCli(exportArgs(dir), { env: ENV })).code, 0);
    assert.equal((await runCli(importArgs(dir, target), { env: ENV })).code, 0);

    const rerun = await runCli(importArgs(dir, target), { env: ENV });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /│ tables\s+│ 0\s+│ 15\s+│ 0\s+│ 0\s+│/); // STEP | APPLIED | ALREADY APPLIED | EXISTED | FAILED

    const forgotten = await runCli(importArgs(dir, target, '--start-clean', 'true'), { env: ENV });
    assert.equal(forgotten.code, 9);
    assert.match(oneLine(forgotten.stderr), /import schema failed at schema\/types\/types\.sql:\d+, statement "CREATE TYPE public\.mpaa_rating AS ENUM \(": type "mpaa_rating" already exists \(SQLSTATE 42710\); .*--ignore-exist true/);

    const ignoring = await runCli(importArgs(dir, target, '--ignore-exist', 'true'), { env: ENV });
    assert.equal(ignoring.code, 0, ignoring.stderr);
    assert.match(ignoring.stdout, /│ tables\s+│ 0\s+│ 0\s+│ 15\s+│ 0\s+│/);
  });

  test('killed in the middle (kill -9 after a statement ran, before it was recorded): the rerun continues without --ignore-exist', async () => {
    const dir = newExportDir();
    const target = await pg.createDatabase('crash');
    assert.equal((await runCli(exportArgs(dir), { env: ENV })).code, 0);
    const crashed = await runCli(importArgs(dir, target), { env: { ...ENV, YB_VOYAGER_FAILPOINTS: 'import-schema-after-statement@25' } });
    assert.equal(crashed.signal, 'SIGKILL');
    assert.ok(await exists(target, `SELECT 1 FROM pg_class WHERE relname = 'actor'`), 'part of the schema was applied');
    assert.ok(!(await exists(target, `SELECT 1 FROM pg_class WHERE relname = 'payment'`)), 'and part was not');

    const resumed = await runCli(importArgs(dir, target), { env: ENV });
    assert.equal(resumed.code, 0, resumed.stderr);
    const existed = [...resumed.stdout.matchAll(/│ [a-z ]+\s+│ \d+\s+│ \d+\s+│ (\d+)\s+│/g)].reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(existed, 1, 'exactly the statement in flight was found applied');
    assert.ok(await exists(target, `SELECT 1 FROM pg_class WHERE relname = 'payment'`));
  });
});

describe('import schema failures', () => {
  const files = () => ({
    tables:
      '-- TABLE: public.good\nCREATE TABLE public.good (id int PRIMARY KEY);\n\n' +
      '-- TABLE: public.needs_missing\nCREATE TABLE public.needs_missing (id int REFERENCES public.missing (id));\n\n' +
      '-- TABLE: public.typo\nCREATE TABLE public.typo (id int,, x text);\n\n' +
      '-- TABLE: public.after_typo\nCREATE TABLE public.after_typo (id int);\n',
    // A view over a materialized view: its step comes first, so it waits for the mview and is retried.
    views: 'CREATE VIEW public.over_mview AS SELECT x FROM public.mv;\n',
    mviews: 'CREATE MATERIALIZED VIEW public.mv AS SELECT 1 AS x\nWITH NO DATA;\n',
  });

  test('without --continue-on-error the first failure stops the run, naming file, line and statement', async () => {
    const dir = handWrittenSchema(files());
    const target = await pg.createDatabase('fail');
    const r = await runCli(importArgs(dir, target), { env: ENV });
    assert.equal(r.code, 9);
    assert.match(oneLine(r.stderr), /^Error: import schema failed at schema\/tables\/tables\.sql:8, statement "CREATE TABLE public\.typo \(id int,, x text\)": syntax error at or near "," \(SQLSTATE 42601\); fix the statement in .*tables\.sql/);
    assert.ok(await exists(target, `SELECT 1 FROM pg_class WHERE relname = 'good'`));
    assert.ok(!(await exists(target, `SELECT 1 FROM pg_class WHERE relname = 'after_typo'`)), 'nothing after the failure ran');
  });

  test('--continue-on-error records failed statements with their errors in schema/failed.sql and goes on', async () => {
    const dir = handWrittenSchema(files());
    const target = await pg.createDatabase('cont');
    const r = await runCli(importArgs(dir, target, '--continue-on-error', 'true'), { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 statements failed; they are listed with their errors in schema\/failed\.sql/);
    const failed = fs.readFileSync(path.join(dir, 'schema', 'failed.sql'), 'utf8');
    assert.match(failed, /-- file: schema\/tables\/tables\.sql, line 5\n-- error \(SQLSTATE 42P01\):\n--   relation "public\.missing" does not exist\n-- TABLE: public\.needs_missing\nCREATE TABLE public\.needs_missing \(id int REFERENCES public\.missing \(id\)\);/);
    assert.match(failed, /-- file: schema\/tables\/tables\.sql, line 8\n-- error \(SQLSTATE 42601\):\n--   syntax error at or near ","\n-- TABLE: public\.typo\nCREATE TABLE public\.typo \(id int,, x text\);/);
    for (const rel of ['good', 'after_typo', 'mv', 'over_mview']) assert.ok(await exists(target, `SELECT 1 FROM pg_class WHERE relname = $1`, [rel]), rel);

    // Fix the file: the rerun applies only what was missing, and failed.sql goes away.
    const tables = path.join(dir, 'schema', 'tables', 'tables.sql');
    fs.writeFileSync(tables, fs.readFileSync(tables, 'utf8').replace('public.missing (id)', 'public.good (id)').replace('id int,, x text', 'id int, x text'));
    const fixed = await runCli(importArgs(dir, target), { env: ENV });
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /│ tables\s+│ 2\s+│ 2\s+│ 0\s+│ 0\s+│/);
    assert.ok(!fs.existsSync(path.join(dir, 'schema', 'failed.sql')));
  });

  test('a failed index build leaves no INVALID index behind, and a leftover one is rebuilt', async () => {
    const target = await pg.createDatabase('idx');
    await pg.query(`CREATE TABLE public.dups (id int, v int); INSERT INTO public.dups VALUES (1, 1), (2, 1)`, [], target);
    const dir = handWrittenSchema({ indexes: '-- INDEX: public.dups_v\nCREATE UNIQUE INDEX CONCURRENTLY dups_v ON public.dups USING btree (v);\n' });
    const invalidIndexes = `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'dups_v' AND NOT i.indisvalid`;

    const r = await runCli(importArgs(dir, target), { env: ENV });
    assert.equal(r.code, 9);
    assert.match(oneLine(r.stderr), /schema\/indexes\/indexes\.sql:2, statement "CREATE UNIQUE INDEX CONCURRENTLY dups_v ON public\.dups USING btree \(v\)": could not create unique index "dups_v" \(SQLSTATE 23505\)/);
    assert.ok(!(await exists(target, `SELECT 1 FROM pg_class WHERE relname = 'dups_v'`)), 'no index left, valid or not');

    // A build that died on its own (here: run by hand) leaves an INVALID index; --ignore-exist must not take it for done.
    await pg.query(`CREATE UNIQUE INDEX CONCURRENTLY dups_v ON public.dups (v)`, [], target).catch(() => undefined);
    assert.ok(await exists(target, invalidIndexes), 'the failed concurrent build left an INVALID index');
    await pg.query(`DELETE FROM public.dups WHERE id = 2`, [], target);
    const retry = await runCli(importArgs(dir, target, '--ignore-exist', 'true'), { env: ENV });
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stderr, /dropped the INVALID index public\.dups_v left by a failed build/);
    assert.ok(!(await exists(target, invalidIndexes)));
    assert.ok(await exists(target, `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'dups_v' AND i.indisvalid`));
  });
});

describe('import schema --target-db-schema', () => {
  test('objects of the single exported schema go to the target schema, references included', async () => {
    const dir = newExportDir();
    const target = await pg.createDatabase('moved');
    assert.equal((await runCli(exportArgs(dir), { env: ENV })).code, 0);
    for (const post of ['false', 'true']) {
      const r = await runCli(importArgs(dir, target, '--target-db-schema', 'store', '--post-snapshot-import', post), { env: ENV });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Objects of source schema public go to target schema store\./);
    }
    const count = async (db: string, schema: string) =>
      (await pg.query<{ n: string }>(`SELECT count(*) AS n FROM pg_class WHERE relnamespace = $1::regnamespace`, [schema], db)).rows[0].n;
    assert.equal(await count(target, 'store'), await count(pagila, 'public'));
    assert.equal(await count(target, 'public'), '0');
    const def = await pg.query<{ d: string }>(`SELECT pg_get_expr(adbin, adrelid) AS d FROM pg_attrdef WHERE adrelid = 'store.actor'::regclass`, [], target);
    assert.equal(def.rows[0].d, "nextval('store.actor_actor_id_seq'::regclass)");
    await pg.query(`INSERT INTO store.country (country) VALUES ('x'); SELECT * FROM store.customer_list; SELECT * FROM store.actor_info`, [], target);
  });

  test('one non-public schema moves whole; several without public are refused', async () => {
    const db = await pg.createDatabase('two');
    await pg.query(`CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (id int); CREATE TABLE b.t (id int); COMMENT ON SCHEMA a IS 'schema a'`, [], db);
    const one = newExportDir();
    assert.equal((await runCli(exportArgs(one, db, 'a'), { env: ENV })).code, 0);
    const moved = await pg.createDatabase('one_t');
    const r1 = await runCli(importArgs(one, moved, '--target-db-schema', 'x'), { env: ENV });
    assert.equal(r1.code, 0, r1.stderr);
    assert.ok(await exists(moved, `SELECT 1 FROM pg_class WHERE oid = 'x.t'::regclass`));
    assert.ok(!(await exists(moved, `SELECT 1 FROM pg_namespace WHERE nspname = 'a'`)), 'schema a is not created on the target');
    assert.ok(await exists(moved, `SELECT 1 FROM pg_description WHERE objoid = 'x'::regnamespace AND description = 'schema a'`));

    const two = newExportDir();
    assert.equal((await runCli(exportArgs(two, db, 'a,b'), { env: ENV })).code, 0);
    const r = await runCli(importArgs(two, await pg.createDatabase('two_t'), '--target-db-schema', 'x'), { env: ENV });
    assert.equal(r.code, 2);
    assert.match(oneLine(r.stderr), /--target-db-schema x is ambiguous: the export has schemas a, b/);
  });
});
