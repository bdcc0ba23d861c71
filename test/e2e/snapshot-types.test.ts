/**
 * Snapshot fidelity, end to end through the CLI: every type of the fidelity list, partitioned tables,
 * same-named tables in two schemas, mixed-case names, identity ALWAYS and generated columns, and a target
 * whose triggers and foreign keys would refuse the rows if they fired. Compared row by row.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';
import { assertSameRows, tableRows } from '../helpers/table-compare.js';

const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_SNAPSHOT_CHUNK_BYTES: '16384' };

const TYPES = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
  CREATE TYPE complex AS (r double precision, i double precision, label text);
  CREATE TABLE types (
    id int PRIMARY KEY,
    n numeric, f4 real, f8 double precision, i2 smallint, i8 bigint,
    ts timestamp, tstz timestamptz, d date, t time, ttz timetz, iv interval,
    b bytea, arr int[], arr2 text[], jn json, jb jsonb, e mood, e_arr mood[], dm posint, c complex, c_arr complex[],
    r int4range, tr tstzrange, nr numrange, mr int4multirange,
    bv bit varying(30), bt bit(8), m money, ip inet, cd cidr, mac macaddr, mac8 macaddr8,
    tv tsvector, tq tsquery, u uuid, tx text, vc varchar(50), ch char(5), bo boolean, x xml,
    pt point, bx box, ci circle
  );`;

const ROWS = `
  INSERT INTO types (id, n, f4, f8, i2, i8, ts, tstz, d, t, ttz, iv, b, arr, arr2, jn, jb, e, e_arr, dm, c, c_arr, r, tr, nr, mr,
                     bv, bt, m, ip, cd, mac, mac8, tv, tq, u, tx, vc, ch, bo, x, pt, bx, ci) VALUES
  (1, (repeat('9', 500) || '.' || repeat('1', 500))::numeric, 3.4028235e38, 1.0000000000000002, -32768, -9223372036854775808,
   '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999999+05:30', '0001-01-01 BC', '24:00:00', '23:59:59.999999-15:59',
   '1 year 2 mons -3 days 04:05:06.789012', '\\x00ff0000ab00', '{{1,2},{3,NULL}}', '{"a,b","c\\"d",NULL,"NULL","","back\\\\slash"}',
   '{"a":1,  "a" : 2 ,"b":[1, 2 ,3]   }', '{"z": 1, "a": [true, null, "\\u00e9"], "n": 1.50}', 'happy', '{sad,NULL,happy}', 5,
   ROW(1.5, -2.25, 'x,"y"\\z'), ARRAY[ROW(1, 2, 'a')::complex, NULL, ROW(NULL, 0, '')::complex], '[1,10)',
   '[2020-01-01 00:00:00+00,infinity)', '(,5.5]', '{[1,3),[7,9)}',
   B'000101000', B'00000001', '92233720368547758.07', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
   'a fat cat:1A sat:2B,3 ''it''''s''', 'fat & (rat | !cat)', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
   E'back\\\\slash\\ttab\\nnewline\\r\\ncrlf "quotes" ''single'' unicode é 中文 🎉 \\x01 ctrl', 'vc', 'ab', true,
   '<a b="1">text &amp; more</a>', '(1.5,-2)', '((0,0),(1.25,3))', '<(1,1),0.1>'),
  (2, 'NaN', 'NaN', 'Infinity', 0, 0, 'infinity', 'infinity', 'infinity', '00:00:00', '00:00:00+00', '-178000000 years',
   '\\x', '[0:1]={7,8}', '{}', '[]', '{}', 'sad', '{}', 1, ROW(NULL, NULL, NULL), '{}', 'empty', 'empty', '[,]', '{}',
   B'', B'11111111', '-0.01', '::1/128', '::/0', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00:00:00',
   '', 'a', '00000000-0000-0000-0000-000000000000', '', '', '     ', false, '<e/>', '(0,0)', '((0,0),(0,0))', '<(0,0),0>'),
  (3, 'Infinity', '-Infinity', '-Infinity', 32767, 9223372036854775807, '-infinity', '-infinity', '-infinity', '23:59:59.999999',
   '12:00:00+15:59', '-1 days +00:00:00.000001', decode('00', 'hex'), '{{{1}},{{2}}}', '{NULL}', 'null', 'null', 'ok', NULL, 2147483647,
   NULL, NULL, '(0,1]', NULL, NULL, NULL, B'0', B'10000000', '0', '0.0.0.0/0', '0.0.0.0/0', NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, '-Infinity', -0.0, 4.9e-324, NULL, NULL, '0001-01-01 00:00:00 BC', '1999-12-31 23:59:59.5-08', '5874897-12-31', NULL, NULL,
   '0', NULL, NULL, NULL, '"str"', '"str"', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (5, '0.000000000000000000000000000001', 1.17549435e-38, -0.0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   '  { "spaces" :   true }  ', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, E'\\\\N', E'\\\\.', NULL, NULL, NULL, NULL, NULL, NULL);
  INSERT INTO types (id, n, tx) SELECT g, g * 1.1, repeat(md5(g::text), 8) FROM generate_series(100, 2100) g;`;

/**
 * Every column of a built-in type with a binary form: exported in binary COPY format. The same values as the
 * text-format table above where the types allow.
 */
const SCALARS = `
  CREATE TABLE scalars (
    id int PRIMARY KEY, n numeric, n2 numeric(30,10), f4 real, f8 double precision, i2 smallint, i8 bigint,
    ts timestamp, tstz timestamptz, d date, t time, ttz timetz, iv interval, b bytea, arr int[], arr2 text[], tarr timestamptz[],
    jn json, jb jsonb, bv bit varying(30), bt bit(8), m money, ip inet, cd cidr, mac macaddr, mac8 macaddr8,
    tv tsvector, tq tsquery, u uuid, tx text, vc varchar(50), ch char(5), bo boolean, x xml, pt point, bx box, ci circle, o oid
  );`;

const SCALAR_ROWS = `
  INSERT INTO scalars SELECT id, n, CASE WHEN abs(n) < 1e15 THEN n END, f4, f8, i2, i8, ts, tstz, d, t, ttz, iv, b, arr, arr2, ARRAY[tstz, NULL], jn, jb, bv, bt, m,
    ip, cd, mac, mac8, tv, tq, u, tx, vc, ch, bo, x, pt, bx, ci, id::oid FROM types WHERE id < 100;`;

/** Other column types on the target than on the source: binary chunks go through a staging table. */
const WIDENED = (side: 'source' | 'target') => side === 'source'
  ? 'CREATE TABLE widened (id int PRIMARY KEY, small int, f real, amount numeric(10,2), label varchar(20), at timestamp, tags int[]);'
  : 'CREATE TABLE widened (id bigint PRIMARY KEY, small bigint, f double precision, amount numeric, label text, at timestamptz, tags bigint[]);';

const WIDENED_ROWS = `
  INSERT INTO widened SELECT g, g * 1000, g / 7.0, g * 1.25, 'label ' || g, '2024-01-01 10:00:00'::timestamp + g * interval '1 hour',
    ARRAY[g, -g, NULL] FROM generate_series(1, 700) g;
  INSERT INTO widened VALUES (0, NULL, 'NaN', NULL, '', 'infinity', '{}');`;

const OTHER_TABLES = (side: 'source' | 'target') => `
  CREATE TABLE ident (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
  CREATE TABLE gen (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) STORED);
  CREATE TABLE parted (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
  CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu');
  CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us') PARTITION BY RANGE (id);
  CREATE TABLE parted_us_low PARTITION OF parted_us FOR VALUES FROM (MINVALUE) TO (500);
  CREATE TABLE parted_us_high PARTITION OF parted_us FOR VALUES FROM (500) TO (MAXVALUE);
  CREATE TABLE parted_other PARTITION OF parted DEFAULT;
  CREATE TABLE empty_parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
  CREATE TABLE nocols ();
  CREATE SCHEMA s1; CREATE SCHEMA s2; CREATE SCHEMA "CamelSchema";
  CREATE TABLE s1.items (id int PRIMARY KEY, v text);
  CREATE TABLE s2.items (id int PRIMARY KEY, v text);
  CREATE TABLE "CamelSchema"."MixedTable" ("Id" int PRIMARY KEY, "ColumnA" text, "select" int);
  CREATE TABLE parent (id int PRIMARY KEY);
  ${side === 'source'
    // Same columns, another order on the target: COPY names its columns.
    ? 'CREATE TABLE child (id int PRIMARY KEY, parent_id int, note text);'
    : 'CREATE TABLE child (note text, id int PRIMARY KEY, parent_id int REFERENCES parent (id));'}
  ${side === 'target'
    ? `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'trigger fired'; END $$;
       CREATE TRIGGER refuse_rows BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION refuse();`
    : ''}`;

const OTHER_ROWS = `
  INSERT INTO ident (v) SELECT 'v' || g FROM generate_series(1, 10) g;
  DELETE FROM ident WHERE id % 3 = 0;
  INSERT INTO ident (id, v) OVERRIDING SYSTEM VALUE VALUES (1000, 'explicit');
  INSERT INTO gen (id, a) SELECT g, g FROM generate_series(1, 100) g;
  INSERT INTO nocols SELECT FROM generate_series(1, 3);
  INSERT INTO parted SELECT g, (ARRAY['eu', 'us', 'apac'])[1 + g % 3], 'p' || g FROM generate_series(1, 3000) g;
  INSERT INTO s1.items SELECT g, 's1-' || g FROM generate_series(1, 50) g;
  INSERT INTO s2.items SELECT g, 's2-' || g FROM generate_series(1, 70) g;
  INSERT INTO "CamelSchema"."MixedTable" SELECT g, 'A' || g, g FROM generate_series(1, 20) g;
  INSERT INTO child SELECT g, g + 100000, 'orphan ' || g FROM generate_series(1, 30) g;`;

let source: PgCluster;
let target: PgCluster;
let sdb: string;
let tdb: string;
let dir: string;

before(async () => {
  [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  [sdb, tdb] = await Promise.all([source.createDatabase('types_src'), target.createDatabase('types_tgt')]);
  await source.query(TYPES + SCALARS + WIDENED('source') + OTHER_TABLES('source') + ROWS + SCALAR_ROWS + WIDENED_ROWS + OTHER_ROWS, [], sdb);
  await target.query(TYPES + SCALARS + WIDENED('target') + OTHER_TABLES('target'), [], tdb);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-types-'));
});

after(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const schemas = 'public,s1,s2,"CamelSchema"';

test('export and import a snapshot: every table arrives row for row', async () => {
  const exp = await runCli(['export', 'data', '--export-dir', dir, ...source.flags('source', sdb), '--source-db-schema', schemas, '--parallel-jobs', '3'], { env });
  assert.equal(exp.code, 0, exp.stderr);
  assert.match(exp.stdout, /ROW COUNT/);
  const files = fs.readdirSync(path.join(dir, 'data')).filter((f) => f.endsWith('.copy'));
  assert.ok(files.filter((f) => f.startsWith('public.types-')).length > 1, `the types table is split into chunks: ${files.join(' ')}`);
  assert.ok(!fs.readdirSync(path.join(dir, 'data')).some((f) => f.endsWith('.tmp')), 'no temporary file is left');
  // Built-in types only: binary COPY; an enum, domain or composite column: text.
  const binary = (prefix: string) => files.filter((f) => f.startsWith(prefix)).map((f) => fs.readFileSync(path.join(dir, 'data', f)).subarray(0, 6).toString() === 'PGCOPY');
  assert.deepEqual([...new Set(binary('public.scalars-'))], [true]);
  assert.deepEqual([...new Set(binary('public.widened-'))], [true]);
  assert.deepEqual([...new Set(binary('public.types-'))], [false]);

  const imp = await runCli(['import', 'data', '--export-dir', dir, ...target.flags('target', tdb), '--batch-size', '333', '--parallel-jobs', '3'], { env });
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /IMPORTED ROW COUNT/);

  const S = { cluster: source, db: sdb };
  const T = { cluster: target, db: tdb };
  assert.equal(await assertSameRows(S, T, 'types', 'id'), 2006);
  assert.equal(await assertSameRows(S, T, 'scalars', 'id'), 5);
  // Through the staging table, each value as its text form would have loaded: the source's text read as the target's type.
  const expected = await tableRows(source, sdb, '(SELECT id, small, f::text::float8 AS f, amount, label, at::text::timestamptz AS at, tags FROM widened)', 'id');
  assert.equal(expected.length, 701);
  assert.deepEqual(await tableRows(target, tdb, 'widened', 'id'), expected);
  assert.match(fs.readFileSync(path.join(dir, 'logs', 'import-data-to-target.log'), 'utf8'), /binary chunks load through a staging table[^\n]*widened/);
  assert.equal(await assertSameRows(S, T, 'ident', 'id'), 8);
  assert.equal(await assertSameRows(S, T, 'gen', 'id'), 100);
  assert.equal(await assertSameRows(S, T, 'parted', 'id, region'), 3000);
  assert.equal(await assertSameRows(S, T, 'empty_parted', 'id'), 0);
  assert.equal(await assertSameRows(S, T, 'nocols', 't::text'), 3, 'a table without columns still has rows');
  assert.equal(await assertSameRows(S, T, 's1.items', 'id'), 50);
  assert.equal(await assertSameRows(S, T, 's2.items', 'id'), 70);
  assert.equal(await assertSameRows(S, T, '"CamelSchema"."MixedTable"', '"Id"'), 20);
  // child has another column order on the target: compare the columns by name.
  assert.equal(await assertSameRows(S, T, '(SELECT id, parent_id, note FROM child)', 'id'), 30);
});

test('the fidelity rows survive exactly (spot checks of the text each side prints)', async () => {
  const c = await target.connectAdmin(tdb);
  try {
    await c.query(`SET TimeZone = 'UTC'`);
    const rows = (await c.query(`SELECT id, length(n::text) AS nlen, encode(b, 'hex') AS b, bv::text AS bv, tstz::text AS tstz, tx, tx IS NULL AS tx_null FROM types WHERE id IN (1, 2, 3) ORDER BY id`)).rows;
    assert.equal(rows[0].nlen, '1001');
    assert.equal(rows[0].b, '00ff0000ab00');
    assert.equal(rows[0].bv, '000101000');
    assert.equal(rows[0].tstz, '2024-02-29 18:29:59.999999+00');
    assert.match(rows[0].tx, /back\\slash\ttab\nnewline\r\ncrlf "quotes" 'single' unicode é 中文 🎉 \x01 ctrl/);
    assert.equal(rows[1].tx, '', 'empty string stays empty');
    assert.equal(rows[1].tx_null, 'f');
    assert.equal(rows[2].tx_null, 't', 'NULL stays NULL');
    assert.equal(rows[1].tstz, 'infinity');
  } finally {
    await c.end();
  }
});

test('partition rows land in the right leaves; identity ALWAYS values are kept', async () => {
  const leaves = async (cluster: PgCluster, db: string) =>
    (await cluster.query(`SELECT tableoid::regclass::text AS leaf, count(*) AS n FROM parted GROUP BY 1 ORDER BY 1`, [], db)).rows;
  assert.deepEqual(await leaves(target, tdb), await leaves(source, sdb));
  assert.equal((await leaves(target, tdb)).length, 4);
  const ids = (await target.query(`SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM ident`, [], tdb)).rows[0].ids;
  assert.equal(ids, '1,2,4,5,7,8,10,1000');
  // The identity keeps generating after the import without colliding with nothing it should not: values
  // come from the sequence, which import data does not move (cutover restores sequences).
  const gen = (await target.query(`SELECT count(*) FILTER (WHERE b = a * 2) AS ok FROM gen`, [], tdb)).rows[0].ok;
  assert.equal(gen, '100', 'generated columns are computed by the target');
});

test('report and rerun: counts per table, and a rerun of both commands changes nothing', async () => {
  const rep = await runCli(['get', 'data-migration-report', '--export-dir', dir, '--output-format', 'json'], { env });
  assert.equal(rep.code, 0, rep.stderr);
  const rows = (JSON.parse(rep.stdout) as { tables: { table_name: string; db_type: string; exported_snapshot_rows: number; imported_snapshot_rows: number; final_row_count: number }[] }).tables;
  const types = rows.filter((r) => r.table_name === '"public"."types"');
  assert.deepEqual(types.map((r) => [r.db_type, r.exported_snapshot_rows, r.imported_snapshot_rows, r.final_row_count]), [
    ['source', 2006, 0, 2006],
    ['target', 0, 2006, 2006],
  ]);
  const parted = rows.find((r) => r.table_name === '"public"."parted"' && r.db_type === 'target');
  assert.equal(parted?.imported_snapshot_rows, 3000);
  const file = JSON.parse(fs.readFileSync(path.join(dir, 'reports', 'data-migration-report.json'), 'utf8')) as unknown[];
  assert.deepEqual(file, rows, 'the file keeps the reference tool\'s shape: the rows alone');
  assert.ok(fs.readFileSync(path.join(dir, 'reports', 'data-migration-report.html'), 'utf8').includes('&quot;public&quot;.&quot;types&quot;'), 'the html report is written too');

  const exp = await runCli(['export', 'data', '--export-dir', dir, ...source.flags('source', sdb), '--source-db-schema', schemas], { env });
  assert.equal(exp.code, 0, exp.stderr);
  assert.match(exp.stdout, /already exported/);
  const imp = await runCli(['import', 'data', '--export-dir', dir, ...target.flags('target', tdb)], { env });
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /already imported/);
  const n = (await target.query(`SELECT count(*) AS n FROM types`, [], tdb)).rows[0].n;
  assert.equal(n, '2006');
});
