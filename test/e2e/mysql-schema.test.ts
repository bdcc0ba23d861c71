/**
 * MySQL/MariaDB schema to PostgreSQL, through the CLI: a MariaDB database with every type of the type map,
 * reserved-word and mixed-case names, keys, checks, cascading foreign keys, prefix and FULLTEXT indexes,
 * AUTO_INCREMENT, enums, partitions, a view, a trigger and routines is exported with `export schema`,
 * applied to a private PostgreSQL with `import schema` (both runs), and the result is read back from
 * PostgreSQL's catalog. analyze-schema must name the findings.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SchemaAnalysisReport } from '../../src/core/schema-analysis/report.js';
import { runCli } from '../helpers/cli.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD } from '../helpers/mariadb-server.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

const ENV = { SOURCE_DB_PASSWORD: MYSQL_MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };

const SOURCE_SCHEMA = `
CREATE TABLE \`Customers\` (
  \`Id\` INT UNSIGNED NOT NULL AUTO_INCREMENT,
  \`Email\` VARCHAR(200) NOT NULL,
  \`order\` INT NOT NULL DEFAULT 5,
  \`MixedCase\` TINYINT(1) NOT NULL DEFAULT 0,
  ok BOOL DEFAULT TRUE,
  ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT, mu MEDIUMINT UNSIGNED,
  i INT, big BIGINT, ubig BIGINT UNSIGNED,
  dec1 DECIMAL(65,30) DEFAULT '1.50', f FLOAT, dbl DOUBLE, r REAL,
  bits BIT(5) DEFAULT b'101',
  c CHAR(4) DEFAULT 'ab''c', vc VARCHAR(300), tt TINYTEXT, t TEXT, mt MEDIUMTEXT, lt LONGTEXT,
  bin BINARY(4), vb VARBINARY(10), tb TINYBLOB, bl BLOB, mb MEDIUMBLOB, lb LONGBLOB,
  status ENUM('new','paid','it''s') NOT NULL DEFAULT 'new',
  tags SET('a','b'),
  d DATE DEFAULT '0000-00-00',
  dt DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  ts TIMESTAMP(6) NULL DEFAULT NULL,
  tm TIME(2), yr YEAR,
  js JSON, u UUID, ip INET6, g GEOMETRY,
  twice INT AS (\`order\` * 2) STORED,
  opaque VARCHAR(10) AS (concat(c, 'x')) VIRTUAL,
  PRIMARY KEY (\`Id\`),
  UNIQUE KEY uq_email (\`Email\`),
  KEY ix_prefix (vc(20)),
  FULLTEXT KEY ft_text (t, mt),
  CONSTRAINT positive_order CHECK (\`order\` > 0)
) ENGINE=InnoDB AUTO_INCREMENT=42;
CREATE TABLE \`select\` (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  \`Customer\` INT UNSIGNED,
  \`Key\` VARCHAR(20),
  CONSTRAINT fk_customer FOREIGN KEY (\`Customer\`) REFERENCES \`Customers\` (\`Id\`) ON DELETE CASCADE ON UPDATE SET NULL
) ENGINE=InnoDB AUTO_INCREMENT=7;
CREATE TABLE by_range (id INT NOT NULL, k INT NOT NULL, PRIMARY KEY (id, k))
  PARTITION BY RANGE COLUMNS (k) (PARTITION p_low VALUES LESS THAN (100), PARTITION p_high VALUES LESS THAN (MAXVALUE));
CREATE TABLE by_list (id INT NOT NULL, region INT NOT NULL, PRIMARY KEY (id, region))
  PARTITION BY LIST (region) (PARTITION eu VALUES IN (1, 2), PARTITION us VALUES IN (3));
CREATE TABLE by_hash (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 3;
CREATE TABLE by_year (id INT NOT NULL, d DATE NOT NULL, PRIMARY KEY (id, d))
  PARTITION BY RANGE (YEAR(d)) (PARTITION y2020 VALUES LESS THAN (2021), PARTITION ymax VALUES LESS THAN MAXVALUE);
CREATE TABLE legacy (id INT PRIMARY KEY) ENGINE=MyISAM;
CREATE VIEW paid_customers AS SELECT \`Id\`, \`Email\` FROM \`Customers\` WHERE status = 'paid';
CREATE VIEW weird_view AS SELECT \`Id\` DIV 2 AS half FROM \`Customers\`;
CREATE TRIGGER select_audit BEFORE INSERT ON \`select\` FOR EACH ROW SET NEW.\`Key\` = UPPER(NEW.\`Key\`);
CREATE PROCEDURE touch_customer(IN x INT) BEGIN UPDATE \`Customers\` SET \`order\` = \`order\` + 1 WHERE \`Id\` = x; END;
CREATE FUNCTION plus_one(x INT) RETURNS INT DETERMINISTIC RETURN x + 1;
`;

let mariadb: MariaDbServer;
let pg: PgCluster;
let sourceDb: string;
let targetDb: string;
let exportDir: string;
const dirs: string[] = [];

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-mysql-schema-'));
  dirs.push(d);
  return d;
}

async function pgRows(sql: string): Promise<Record<string, string>[]> {
  return (await pg.query(sql, [], targetDb)).rows;
}

before(async () => {
  [mariadb, pg] = await Promise.all([MariaDbServer.start(), PgCluster.start()]);
  sourceDb = await mariadb.createDatabase('shop');
  await mariadb.query(SOURCE_SCHEMA, [], sourceDb);
  targetDb = await pg.createDatabase('shop');
  exportDir = tempDir();
  const exp = await runCli(['export', 'schema', '-e', exportDir, ...mariadb.flags(sourceDb)], { env: ENV });
  assert.equal(exp.code, 0, exp.stderr);
  assert.match(exp.stderr + exp.stdout, /conversion finding\(s\) from MySQL/);
  const imp = await runCli(['import', 'schema', '-e', exportDir, ...pg.flags('target', targetDb)], { env: ENV });
  assert.equal(imp.code, 0, imp.stderr + imp.stdout);
  const post = await runCli(['import', 'schema', '-e', exportDir, ...pg.flags('target', targetDb), '--post-snapshot-import', 'true'], { env: ENV });
  assert.equal(post.code, 0, post.stderr + post.stdout);
});

after(async () => {
  await Promise.all([mariadb?.stop(), pg?.stop()]);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('export schema from MariaDB → import schema into PostgreSQL', () => {
  test('column types follow the type map', async () => {
    const cols = await pgRows(
      `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull::text AS notnull
         FROM pg_attribute a WHERE a.attrelid = 'public.customers'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    );
    const types = Object.fromEntries(cols.map((c) => [c.attname, c.type]));
    assert.deepEqual(types, {
      id: 'bigint', email: 'character varying(200)', order: 'integer', mixedcase: 'smallint', ok: 'smallint',
      ti: 'smallint', tu: 'smallint', si: 'smallint', su: 'integer', mi: 'integer', mu: 'integer',
      i: 'integer', big: 'bigint', ubig: 'numeric(20,0)',
      dec1: 'numeric(65,30)', f: 'real', dbl: 'double precision', r: 'double precision', bits: 'bit(5)',
      c: 'character(4)', vc: 'character varying(300)', tt: 'text', t: 'text', mt: 'text', lt: 'text',
      bin: 'bytea', vb: 'bytea', tb: 'bytea', bl: 'bytea', mb: 'bytea', lb: 'bytea',
      status: 'customers_status', tags: 'text', d: 'date', dt: 'timestamp(3) without time zone', ts: 'timestamp(6) with time zone',
      tm: 'time(2) without time zone', yr: 'smallint', js: 'jsonb', u: 'uuid', ip: 'inet', g: 'bytea',
      twice: 'integer', opaque: 'character varying(10)',
    });
    const labels = await pgRows(`SELECT string_agg(enumlabel, '|' ORDER BY enumsortorder) AS l FROM pg_enum WHERE enumtypid = 'public.customers_status'::regtype`);
    assert.equal(labels[0].l, "new|paid|it's");
  });

  test('defaults, identity, generated columns and the ON UPDATE trigger', async () => {
    const defs = Object.fromEntries(
      (await pgRows(`SELECT column_name, column_default, is_identity, generation_expression FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'customers'`)).map((r) => [r.column_name, r]),
    );
    assert.equal(defs.order.column_default, '5');
    assert.equal(defs.bits.column_default, "'00101'::\"bit\"");
    assert.equal(defs.c.column_default, "'ab''c'::bpchar");
    assert.equal(defs.status.column_default, "'new'::customers_status");
    assert.equal(defs.d.column_default, null, 'the zero-date default is left out');
    assert.equal(defs.dt.column_default, 'LOCALTIMESTAMP(3)');
    assert.equal(defs.id.is_identity, 'YES');
    assert.equal(defs.twice.generation_expression, '("order" * 2)');
    assert.equal(defs.opaque.generation_expression, null, 'concat() does not translate: a plain column');
    const seq = await pgRows(`SELECT start_value FROM pg_sequences WHERE schemaname = 'public' AND sequencename = 'customers_id_seq'`);
    assert.equal(seq[0]?.start_value, '42');
    const ubigSeq = await pgRows(`SELECT start_value FROM pg_sequences WHERE schemaname = 'public' AND sequencename = 'select_id_seq'`);
    assert.equal(ubigSeq[0]?.start_value, '7', 'BIGINT UNSIGNED AUTO_INCREMENT: a sequence of the identity name');

    await pg.query(`INSERT INTO customers (email, u) VALUES ('a@x', gen_random_uuid())`, [], targetDb);
    await pg.query(`UPDATE customers SET dt = '2000-01-01' WHERE email = 'a@x'`, [], targetDb);
    await pg.query(`UPDATE customers SET vc = 'changed' WHERE email = 'a@x'`, [], targetDb);
    const [row] = await pgRows(`SELECT id::text, dt::text, twice::text FROM customers WHERE email = 'a@x'`);
    assert.equal(row.id, '42');
    assert.equal(row.twice, '10');
    assert.notEqual(row.dt, '2000-01-01 00:00:00', 'changing another column sets the ON UPDATE column');
  });

  test('keys, checks and cascading foreign keys', async () => {
    const cons = (await pgRows(`SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`)).map(
      (r) => `${r.t} ${r.conname}: ${r.def}`,
    );
    for (const expected of [
      'customers customers_pkey: PRIMARY KEY (id)',
      'customers customers_uq_email: UNIQUE (email)',
      'customers positive_order: CHECK (("order" > 0))',
      '"select" fk_customer: FOREIGN KEY (customer) REFERENCES customers(id) ON UPDATE SET NULL ON DELETE CASCADE',
      '"select" select_pkey: PRIMARY KEY (id)',
    ]) {
      assert.ok(cons.includes(expected), `${expected}\nin\n${cons.join('\n')}`);
    }
    assert.ok(cons.some((c) => /^customers customers_ubig_check: CHECK \(\(\(ubig >= \(?0\)?::numeric\) AND \(ubig <= '18446744073709551615'::numeric\)\)\)$/.test(c)), cons.join('\n'));
    assert.ok(!cons.some((c) => /json_valid/.test(c)), 'the JSON CHECK is gone (the column is jsonb)');
  });

  test('indexes: prefix → left(), FULLTEXT → GIN to_tsvector', async () => {
    const idx = Object.fromEntries((await pgRows(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`)).map((r) => [r.indexname, r.indexdef]));
    assert.equal(idx.customers_ix_prefix, 'CREATE INDEX customers_ix_prefix ON public.customers USING btree ("left"((vc)::text, 20))');
    assert.match(idx.customers_ft_text, /USING gin \(to_tsvector\('simple'::regconfig, \(\(COALESCE\(t, ''::text\) \|\| ' '::text\) \|\| COALESCE\(mt, ''::text\)\)\)\)/);
  });

  test('partitions: RANGE COLUMNS, LIST and HASH become declarative partitions; RANGE on YEAR() does not', async () => {
    const parts = (await pgRows(
      `SELECT p.relname AS parent, c.relname AS part, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE c.relkind = 'r' ORDER BY 1, 2`,
    )).map((r) => `${r.parent}/${r.part} ${r.bound}`);
    assert.deepEqual(parts, [
      'by_hash/by_hash_p0 FOR VALUES WITH (modulus 3, remainder 0)',
      'by_hash/by_hash_p1 FOR VALUES WITH (modulus 3, remainder 1)',
      'by_hash/by_hash_p2 FOR VALUES WITH (modulus 3, remainder 2)',
      'by_list/by_list_eu FOR VALUES IN (1, 2)',
      'by_list/by_list_us FOR VALUES IN (3)',
      'by_range/by_range_p_high FOR VALUES FROM (100) TO (MAXVALUE)',
      'by_range/by_range_p_low FOR VALUES FROM (MINVALUE) TO (100)',
    ]);
    const [hashed] = await pgRows(`INSERT INTO by_hash DEFAULT VALUES RETURNING id::text`);
    assert.equal(hashed.id, '1', 'AUTO_INCREMENT on a partitioned table: an identity that inserts through the parent use');
    const [year] = await pgRows(`SELECT relkind::text FROM pg_class WHERE oid = 'public.by_year'::regclass`);
    assert.equal(year.relkind, 'r');
  });

  test('the safe view is converted; the other view, the trigger and the routines are kept commented', async () => {
    await pg.query(`INSERT INTO customers (email, status) VALUES ('p@x', 'paid')`, [], targetDb);
    const view = await pgRows(`SELECT email FROM paid_customers`);
    assert.deepEqual(view.map((r) => r.email), ['p@x']);
    const [n] = await pgRows(`SELECT count(*)::text AS n FROM pg_views WHERE schemaname = 'public' AND viewname = 'weird_view'`);
    assert.equal(n.n, '0');
    const triggers = fs.readFileSync(path.join(exportDir, 'schema', 'triggers', 'triggers.sql'), 'utf8');
    assert.match(triggers, /^-- \| CREATE DEFINER=.* TRIGGER `?select_audit`? BEFORE INSERT/m);
  });

  test('analyze-schema names every finding with its object', async () => {
    const r = await runCli(['analyze-schema', '--export-dir', exportDir, '--output-format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(path.join(exportDir, 'reports', 'schema_analysis_report.json'), 'utf8')) as SchemaAnalysisReport;
    assert.deepEqual(report.Issues.filter((i) => i.RuleId === 'UNSUPPORTED_PG_SYNTAX').map((i) => i.Reason), []);
    const fired = new Set(report.Issues.map((i) => `${i.RuleId} ${i.ObjectType} ${i.ObjectName}`));
    for (const expected of [
      'MYSQL_TRIGGER_NOT_CONVERTED TRIGGER select_audit ON public.select',
      'MYSQL_ROUTINE_NOT_CONVERTED PROCEDURE public.touch_customer',
      'MYSQL_ROUTINE_NOT_CONVERTED FUNCTION public.plus_one',
      'MYSQL_VIEW_NOT_CONVERTED VIEW public.weird_view',
      'MYSQL_CASE_INSENSITIVE_KEY TABLE public.customers',
      'MYSQL_ZERO_DATE_DEFAULT TABLE public.customers',
      'MYSQL_UNSIGNED_BIGINT TABLE public.customers',
      'MYSQL_UNSIGNED_BIGINT TABLE public.select',
      'MYSQL_PREFIX_INDEX INDEX customers_ix_prefix ON public.customers',
      'MYSQL_FULLTEXT_INDEX INDEX customers_ft_text ON public.customers',
      'MYSQL_SPATIAL_TYPE TABLE public.customers',
      'MYSQL_ENUM_EMPTY_VALUE TABLE public.customers',
      'MYSQL_GENERATED_COLUMN_NOT_CONVERTED TABLE public.customers',
      'MYSQL_STORAGE_ENGINE TABLE public.legacy',
      'MYSQL_PARTITIONING_NOT_CONVERTED TABLE public.by_year',
      'MYSQL_SET_TYPE TABLE public.customers',
    ]) {
      assert.ok(fired.has(expected), `${expected} missing from\n${[...fired].join('\n')}`);
    }
    const trigger = report.Issues.find((i) => i.RuleId === 'MYSQL_TRIGGER_NOT_CONVERTED')!;
    assert.match(trigger.SqlStatement, /TRIGGER `?select_audit`?/);
    assert.match(trigger.Suggestion, /PL\/pgSQL/);
    const ci = report.Issues.find((i) => i.RuleId === 'MYSQL_CASE_INSENSITIVE_KEY')!;
    assert.match(ci.Reason, /uq_email .*Email \(utf8mb4_general_ci\)/);
    assert.match(ci.SqlStatement, /^CREATE TABLE public\.customers/);
  });
});

describe('import schema --target-db-schema', () => {
  test('moves every object of the MySQL database into the schema named', async () => {
    const db = await pg.createDatabase('moved');
    // An export dir belongs to one target database: the same exported files in a new one.
    const dir = tempDir();
    fs.cpSync(path.join(exportDir, 'schema'), path.join(dir, 'schema'), { recursive: true });
    const imp = await runCli(['import', 'schema', '-e', dir, ...pg.flags('target', db), '--target-db-schema', 'shop'], { env: ENV });
    assert.equal(imp.code, 0, imp.stderr + imp.stdout);
    const rels = (await pg.query(`SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'shop'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S') ORDER BY 1`, [], db)).rows.map((r) => r.relname);
    for (const name of ['customers', 'select', 'select_id_seq', 'customers_id_seq', 'by_range', 'by_range_p_low', 'paid_customers']) assert.ok(rels.includes(name), `${name} in ${rels.join(', ')}`);
    const [publicTables] = (await pg.query(`SELECT count(*)::text AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace`, [], db)).rows;
    assert.equal(publicTables.n, '0');
  });
});

describe('export schema refusals', () => {
  test('--source-db-schema is refused for MySQL, naming the fix', async () => {
    const r = await runCli(['export', 'schema', '-e', tempDir(), ...mariadb.flags(sourceDb), '--source-db-schema', 'public'], { env: ENV });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--source-db-schema is not used with --source-db-type mysql/);
  });

  test('two tables whose names differ only in case: an error naming both', async () => {
    const db = await mariadb.createDatabase('clash');
    await mariadb.query('CREATE TABLE `Orders` (id INT PRIMARY KEY); CREATE TABLE `orders` (id INT PRIMARY KEY)', [], db);
    const dir = tempDir();
    const r = await runCli(['export', 'schema', '-e', dir, ...mariadb.flags(db)], { env: ENV });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\b(Orders and orders|orders and Orders) \(both public\.orders\)/);
    assert.ok(!fs.existsSync(path.join(dir, 'schema', 'tables')), 'nothing half-written');
  });
});
