/**
 * Oracle schema export over a SYNTHETIC catalog fixture (hand-written dictionary rows; no Oracle server runs
 * here): export schema through the real workflow and the Oracle engine on a replay runner, the DDL applied to
 * a private real PostgreSQL the way import schema splits it, and the resulting column types compared to the
 * expectations the reference tool publishes for the same Oracle tables (yb-voyager migtests/tests/oracle/
 * datatypes/validate, EXPECTED_DATA_TYPES), except where this tool deliberately differs (named below).
 * analyze-schema then names every construct that needs manual work.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ExportDir } from '../../src/export-dir/layout.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { nullLogger } from '../../src/infra/logger.js';
import { analyzeSchema } from '../../src/workflows/analyze-schema.js';
import { exportAndApplyFixtureSchema, replayEngine } from '../helpers/oracle-fixture.js';
import { PgCluster } from '../helpers/pg-cluster.js';

/** EXPECTED_DATA_TYPES of the reference tool's Oracle datatypes test, for the tables the fixture holds. */
const REFERENCE_TYPES: Record<string, Record<string, string>> = {
  numeric_types: { id: 'numeric', num_val: 'numeric', bin_float_val: 'double precision', bin_double_val: 'double precision', float_val: 'double precision' },
  date_time_types: { id: 'numeric', ts_tz_value: 'timestamp with time zone', timestamp_val: 'timestamp without time zone', ts_tz_lt_value: 'timestamp with time zone', date_val: 'date' },
  interval_types: { id: 'numeric', int_y_m: 'interval', int_d_s: 'interval' },
  char_types: { id: 'numeric', address_2: 'character', address_3: 'character', address: 'character varying', emp_name: 'character varying' },
  long_type: { id: 'numeric', long_value: 'text' },
  raw_type: { id: 'numeric', long_raw_value: 'bytea', raw_value: 'bytea' },
  number_ps: { id: 'numeric', num_neg_s: 'numeric', num_p_s: 'numeric', num_val: 'numeric', num_s_p: 'numeric', num_3: 'smallint' },
  lob_types: { b_type: 'bytea', ctype: 'text', n_type: 'text', id: 'numeric' },
  blob_type: { b: 'bytea' },
  varray_table: { id: 'numeric', sometext: 'character varying', v1: 'USER-DEFINED', rid: 'oid' },
};

/**
 * Where this tool differs on purpose: an Oracle DATE has a time of day (`date` would drop it); a ROWID is
 * text, not an oid; a VARRAY column is left as text with a manual-work note (no composite type is made);
 * the quoted Oracle name "someText" keeps its case.
 */
const DELIBERATE: Record<string, Record<string, string>> = {
  date_time_types: { date_val: 'timestamp without time zone' },
  varray_table: { rid: 'text', v1: 'text', sometext: '', someText: 'character varying' },
};

describe('Oracle schema export from a synthetic catalog fixture, applied to a real PostgreSQL', () => {
  let cluster: PgCluster;
  let db: string;
  let root: string;
  let exportDir: ExportDir;
  let state: StateStore;
  const { engine, replay } = replayEngine();

  before(async () => {
    cluster = await PgCluster.start();
    db = await cluster.createDatabase('oraschema');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-oracle-schema-'));
    exportDir = ExportDir.open(root);
    state = StateStore.open(exportDir.stateDb);
  });
  after(async () => {
    state?.close();
    await cluster?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('the fixture says it is synthetic', () => {
    assert.equal(replay.fixture.provenance, 'synthetic');
  });

  test('export schema writes schema/<type>/*.sql, applies cleanly, and the column types match the reference tool', async () => {
    const result = await exportAndApplyFixtureSchema(engine, exportDir, state, cluster, db);
    assert.deepEqual(result.schemas, ['ybtest']);
    assert.match(result.warnings.join('\n'), /findings? on Oracle constructs .*analyze-schema/);
    assert.deepEqual(result.dbaScripts.map((s) => s.file), ['01-export-grants', '02-metadata-user', '03-writer-role', '04-disable-triggers-and-fks', '05-enable-triggers-and-fks'].map((n) => path.join('scripts', `${n}.sql`)));
    for (const s of result.dbaScripts) assert.match(fs.readFileSync(path.join(root, s.file), 'utf8'), /^-- \d\d-[a-z-]+\.sql: /, `${s.file} written`);
    const dirs = result.files.map((f) => f.dir);
    for (const d of ['schemas', 'sequences', 'tables', 'partitions', 'fkeys', 'indexes', 'views', 'procedures', 'triggers']) assert.ok(dirs.includes(d as never), `schema/${d} written`);


    const rows = (await cluster.query<{ t: string; c: string; dt: string }>(
      `SELECT table_name AS t, column_name AS c, data_type AS dt FROM information_schema.columns WHERE table_schema = 'ybtest'`, [], db)).rows;
    const got = new Map(rows.map((r) => [`${r.t}.${r.c}`, r.dt]));
    const mismatches: string[] = [];
    for (const [table, cols] of Object.entries(REFERENCE_TYPES)) {
      for (const [col, refType] of Object.entries({ ...cols, ...(DELIBERATE[table] ?? {}) })) {
        if (!refType) continue;
        const deliberate = DELIBERATE[table]?.[col] !== undefined;
        const expected = deliberate ? DELIBERATE[table][col] : refType;
        if (got.get(`${table}.${col}`) !== expected) mismatches.push(`${table}.${col}: got ${got.get(`${table}.${col}`)}, expected ${expected}${deliberate ? ' (deliberate difference)' : ' (reference tool)'}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });

  test('keys, NUMBER(19), identity, defaults, partitions, foreign keys and indexes arrive as PostgreSQL objects', async () => {
    const q = async (sql: string) => (await cluster.query<Record<string, string>>(sql, [], db)).rows;
    const types = new Map((await q(`SELECT table_name || '.' || column_name AS k, data_type AS dt FROM information_schema.columns WHERE table_schema = 'ybtest'`)).map((r) => [r.k, r.dt]));
    assert.equal(types.get('departments.big'), 'numeric', 'NUMBER(19) is numeric: it can exceed bigint');
    assert.equal(types.get('departments.nines'), 'bigint');
    assert.equal(types.get('departments.dept_id'), 'smallint');
    assert.equal(types.get('employees.guid'), 'uuid', 'RAW(16) DEFAULT SYS_GUID() is a uuid');
    const [big] = await q(`INSERT INTO ybtest.departments (dept_id, name, big) VALUES (1, 'd', 9999999999999999999) RETURNING big::text AS big`);
    assert.equal(big.big, '9999999999999999999');

    const [ident] = await q(`SELECT is_identity, identity_generation, identity_start FROM information_schema.columns WHERE table_schema = 'ybtest' AND table_name = 'employees' AND column_name = 'emp_id'`);
    assert.deepEqual({ ...ident }, { is_identity: 'YES', identity_generation: 'BY DEFAULT', identity_start: '21' });
    const [emp] = await q(`INSERT INTO ybtest.employees (dept_id, salary) VALUES (1, 100) RETURNING emp_id::text, bonus::text, status, code::text, hired IS NOT NULL AS hired`);
    assert.deepEqual({ ...emp }, { emp_id: '21', bonus: '10.000', status: 'A', code: '1001', hired: 't' });
    await assert.rejects(cluster.query(`INSERT INTO ybtest.employees (dept_id, salary) VALUES (1, -5)`, [], db), /emp_salary_ck/);
    await assert.rejects(cluster.query(`INSERT INTO ybtest.employees (dept_id, salary, status) VALUES (1, 5, 'X')`, [], db), /emp_status_ck/);
    await assert.rejects(cluster.query(`INSERT INTO ybtest.employees (dept_id, salary) VALUES (99, 5)`, [], db), /emp_dept_fk/);

    const [part] = await q(`INSERT INTO ybtest.sales VALUES (1, '2024-06-01', 5) RETURNING tableoid::regclass::text AS p`);
    assert.equal(part.p, 'ybtest.sales_2024');
    const [maxPart] = await q(`INSERT INTO ybtest.sales VALUES (2, '2031-01-01', 5) RETURNING tableoid::regclass::text AS p`);
    assert.equal(maxPart.p, 'ybtest.sales_max');

    const indexes = (await q(`SELECT indexname AS i, indexdef AS d FROM pg_indexes WHERE schemaname = 'ybtest' ORDER BY 1`)).map((r) => r.i);
    for (const i of ['emp_dept_hired_ix', 'emp_mixed_upper_ix', 'emp_status_bix', 'dept_pk', 'dept_name_uk']) assert.ok(indexes.includes(i), `index ${i} exists`);
    assert.ok(!indexes.some((i) => i.startsWith('sys_il')), 'LOB indexes are not exported');
    const [view] = await q(`SELECT count(*)::text AS n FROM ybtest.emp_view`);
    assert.equal(view.n, '1');
    const [comment] = await q(`SELECT obj_description('ybtest.departments'::regclass) AS c`);
    assert.equal(comment.c, "Departments (it's synthetic)");
  });

  test('analyze-schema names every Oracle construct that needs manual work', async () => {
    const r = await analyzeSchema({ exportDir, log: nullLogger }, { format: 'json', voyagerVersion: 'test' });
    const issues = r.report.Issues.map((i) => `${i.RuleId} ${i.ObjectType} ${i.ObjectName}`);
    for (const expected of [
      'ORACLE_PLSQL_NOT_CONVERTED PROCEDURE ybtest.raise_salary',
      'ORACLE_PLSQL_NOT_CONVERTED TYPE ybtest.varray_type',
      'ORACLE_PLSQL_NOT_CONVERTED TRIGGER ybtest.emp_bi',
      'ORACLE_VIEW_NOT_CONVERTED VIEW ybtest.emp_nvl_view',
      'ORACLE_SYNONYM_NOT_CONVERTED SYNONYM ybtest.remote_orders',
      'ORACLE_UNSUPPORTED_TYPE COLUMN ybtest.varray_table.v1',
    ]) assert.ok(issues.includes(expected), `reported: ${expected}`);
    const plsql = r.report.Issues.find((i) => i.ObjectName === 'ybtest.raise_salary');
    assert.equal(plsql?.IssueType, 'unsupported_plpgsql_objects');
    assert.match(plsql?.SqlStatement ?? '', /PROCEDURE raise_salary\(p_emp IN NUMBER/, 'the PL/SQL text is shown with the issue');
    const review = r.report.Issues.filter((i) => i.IssueType === 'migration_caveats').map((i) => `${i.ObjectType} ${i.ObjectName}: ${i.Reason}`).join('\n');
    assert.match(review, /COLUMN ybtest\.departments\.big: NUMBER\(19\) becomes numeric\(19\)/);
    assert.match(review, /COLUMN ybtest\.date_time_types\.timestamp_val: TIMESTAMP\(9\).*nanoseconds/);
    assert.match(review, /COLUMN ybtest\.departments\.rounded: NUMBER\(6,-2\) has a negative scale/);
    assert.match(review, /TABLE ybtest\.employees: constraint EMP_OLD_CK is DISABLED/);
    assert.match(review, /INDEX ybtest\.emp_status_bix: bitmap index/);
    assert.equal(r.report.Issues.filter((i) => i.RuleId === 'UNSUPPORTED_PG_SYNTAX').length, 0, 'every statement left active parses as PostgreSQL');
  });
});
