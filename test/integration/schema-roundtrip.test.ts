/**
 * Proof by round trip: realistic schemas (test/fixtures/schemas) are loaded into a source database,
 * exported with `export schema`, applied to an empty database on a second cluster with `import schema`
 * and `import schema --post-snapshot-import true`, and then pg_dump of both databases must be identical
 * (normalised only as test/helpers/schema-dump.ts says).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';
import { schemaDump } from '../helpers/schema-dump.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'schemas');
const ENV = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };
/** Roles the fixtures' policies name: cluster-wide, so they are created on both clusters. */
const ROLES = ['app_user', 'app_admin'];

let source: PgCluster;
let target: PgCluster;
const dirs: string[] = [];

before(async () => {
  [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  for (const c of [source, target]) {
    for (const r of ROLES) await c.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${r}') THEN CREATE ROLE ${r}; END IF; END $$`);
  }
});
after(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function exportDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-schema-rt-'));
  dirs.push(d);
  return d;
}

async function loadFixture(name: string): Promise<string> {
  const db = await source.createDatabase(name.replace(/-/g, '_'));
  await source.query(fs.readFileSync(path.join(FIXTURES, `${name}.sql`), 'utf8'), [], db);
  return db;
}

async function roundTrip(fixture: string, schemas: string): Promise<{ dir: string; exportOut: string }> {
  const srcDb = await loadFixture(fixture);
  const dstDb = await target.createDatabase(fixture.replace(/-/g, '_'));
  const dir = exportDir();
  const exp = await runCli(['export', 'schema', '-e', dir, ...source.flags('source', srcDb), '--source-db-schema', schemas], { env: ENV });
  assert.equal(exp.code, 0, exp.stderr);
  const imp = await runCli(['import', 'schema', '-e', dir, ...target.flags('target', dstDb)], { env: ENV });
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /wait for: yb-voyager import schema --post-snapshot-import true/);
  const post = await runCli(['import', 'schema', '-e', dir, ...target.flags('target', dstDb), '--post-snapshot-import', 'true'], { env: ENV });
  assert.equal(post.code, 0, post.stderr);
  const sourceDump = schemaDump(source, srcDb);
  assert.match(sourceDump, /CREATE TABLE/); // two empty dumps would be equal too
  assert.equal(schemaDump(target, dstDb), sourceDump);
  return { dir, exportOut: exp.stdout };
}

describe('export schema → import schema → import schema --post-snapshot-import: pg_dump of source and target identical', () => {
  test('Pagila-like store (serials, enum, domain, partitioned payments, views, aggregate, triggers)', async () => {
    const { dir, exportOut } = await roundTrip('pagila', 'public');
    assert.match(exportOut, /schema\/tables\/tables\.sql\s+│ TABLE\s+│ 15\b/);
    const tables = fs.readFileSync(path.join(dir, 'schema', 'tables', 'tables.sql'), 'utf8');
    assert.match(tables, /^-- TABLE: public\.actor\nCREATE TABLE public\.actor \(/m);
  });

  test('multi-tenant SaaS (three schemas, multi-level/hash/default partitions, RLS, quoted names)', async () => {
    const { dir } = await roundTrip('saas', 'public,"Billing",analytics');
    const policies = fs.readFileSync(path.join(dir, 'schema', 'policies', 'policies.sql'), 'utf8');
    assert.match(policies, /ALTER TABLE "Billing"\."Invoices" FORCE ROW LEVEL SECURITY;/);
  });

  test('every object kind (kitchen sink)', async () => {
    const { dir } = await roundTrip('kitchen-sink', 'ks,public');
    for (const type of ['extensions', 'schemas', 'types', 'sequences', 'tables', 'partitions', 'fkeys', 'indexes', 'functions', 'procedures', 'views', 'mviews', 'triggers', 'rules', 'policies', 'comments']) {
      assert.ok(fs.existsSync(path.join(dir, 'schema', type, `${type}.sql`)), `schema/${type}/${type}.sql written`);
    }
    assert.ok(!fs.existsSync(path.join(dir, 'schema', 'uncategorized')), 'nothing uncategorized');
    // Views in dependency order although their names sort the other way.
    const views = fs.readFileSync(path.join(dir, 'schema', 'views', 'views.sql'), 'utf8');
    const at = (name: string) => views.indexOf(`-- VIEW: ks.${name}\n`);
    assert.ok(at('z_base') >= 0 && at('z_base') < at('y_middle') && at('y_middle') < at('a_top'), 'z_base, y_middle, a_top in that order');
  });

  test('catalog corners (dropped columns, partitions differing from their parent, multiple inheritance, NOT VALID, row types)', async () => {
    const { dir } = await roundTrip('edge-cases', 'edge');
    const partitions = fs.readFileSync(path.join(dir, 'schema', 'partitions', 'partitions.sql'), 'utf8');
    assert.match(partitions, /ALTER TABLE ONLY edge\.parted_1 ALTER COLUMN v DROP DEFAULT;/);
  });
});
