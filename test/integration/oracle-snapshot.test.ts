/**
 * Oracle snapshot-only export over the SYNTHETIC fixture (no Oracle server runs here): the real export-data
 * workflow with the Oracle engine on a replay runner reads each table AS OF one SCN through TO_CHAR select
 * lists, the value codec turns Oracle's text forms into COPY text, and the data files load with COPY into the
 * schema export made of the same fixture on a real PostgreSQL. What a real server returns for those select
 * lists is unverified until a recorded fixture exists (docs/oracle.md).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { snapshotQuery } from '../../src/adapters/oracle/snapshot-select.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { allChunks, readExportData } from '../../src/export-dir/snapshot-state.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { UserError, VoyagerError } from '../../src/infra/errors.js';
import { nullLogger } from '../../src/infra/logger.js';
import { exportSnapshot, type ExportSnapshotOptions } from '../../src/workflows/export-snapshot.js';
import type { TableProgress } from '../../src/workflows/table-progress.js';
import { exportAndApplyFixtureSchema, FIXTURE_CONN, ORACLE_FIXTURE, replayEngine } from '../helpers/oracle-fixture.js';
import { PgCluster } from '../helpers/pg-cluster.js';

const quiet: TableProgress = { begin() {}, advance() {}, setTotal() {}, measure() {}, finish() {}, end() {} };

function options(o: Partial<ExportSnapshotOptions> = {}): ExportSnapshotOptions {
  return { exportType: 'snapshot-only', schemas: ['ybtest'], excludeTableList: ['varray_table'], parallelJobs: 2, startClean: false, ...o };
}

describe('Oracle snapshot-only export from a synthetic fixture, loaded into a real PostgreSQL', () => {
  let cluster: PgCluster;
  let db: string;
  const roots: string[] = [];
  const stores: StateStore[] = [];

  function newExportDir(): { exportDir: ExportDir; state: StateStore } {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-oracle-snap-'));
    roots.push(root);
    const exportDir = ExportDir.open(root);
    const state = StateStore.open(exportDir.stateDb);
    stores.push(state);
    return { exportDir, state };
  }

  before(async () => {
    cluster = await PgCluster.start();
    db = await cluster.createDatabase('orasnap');
  });
  after(async () => {
    for (const s of stores) s.close();
    await cluster?.stop();
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });

  test('every table is read AS OF one SCN, and the data files COPY into the exported schema with exact values', async () => {
    const { engine, replay } = replayEngine();
    const { exportDir, state } = newExportDir();
    await exportAndApplyFixtureSchema(engine, exportDir, state, cluster, db);
    const r = await exportSnapshot({ source: { engine, conn: FIXTURE_CONN }, state, exportDir, log: nullLogger, progress: quiet, say: () => undefined }, options(), new AbortController().signal);
    assert.equal(r.status, 'exported');
    const reads = replay.asked.filter((k) => k.startsWith('snapshot.rows'));
    assert.equal(reads.length, 12, 'one read per table');
    assert.ok(reads.every((k) => k.endsWith(' scn=4711')), 'every table read AS OF the same SCN');
    assert.match(snapshotQuery('YBTEST', 'T', [{ name: 'D', kind: 'date', expr: `TO_CHAR("D", 'SYYYY-MM-DD HH24:MI:SS')` }]).sql, /AS OF SCN TO_NUMBER\(:scn\)$/);

    const tables = new Map(readExportData(state)!.tables.map((t) => [`${t.schema}.${t.table}`, t]));
    for (const c of allChunks(state)) {
      const t = tables.get(`${c.schema_name}.${c.table_name}`)!;
      const data = fs.readFileSync(exportDir.dataFile(c.file_name), 'utf8');
      const client = await cluster.connectAdmin(db);
      try {
        // The file is COPY text: load it through a COPY FROM STDIN statement of the same shape import data uses.
        const { default: copyStreams } = await import('pg-copy-streams');
        const cols = t.columns.map((x) => `"${x}"`).join(', ');
        const stream = client.query(copyStreams.from(`COPY "${t.schema}"."${t.table}" (${cols}) FROM STDIN`));
        await new Promise<void>((resolve, reject) => {
          stream.on('finish', resolve);
          stream.on('error', reject);
          stream.end(data);
        });
      } finally {
        await client.end();
      }
    }

    const one = async (sql: string) => {
      const client = await cluster.connectAdmin(db);
      try {
        await client.query("SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3");
        return (await client.query({ text: sql, rowMode: 'array' })).rows.map((row: unknown[]) => row.map((v) => (v === null ? null : String(v))));
      } finally {
        await client.end();
      }
    };
    assert.deepEqual(await one(`SELECT id::text, num_val::text, num_3::text, num_p_s::text, num_s_p::text, num_neg_s::text FROM ybtest.number_ps ORDER BY id`), [
      ['1', '123.89', '402', '5.79', '0.0000012', '546.99'],
      ['2', '-1500000000000000000000000000000', '0', '-0.50', null, '12345678901234567890123456789012345678'],
    ]);
    assert.deepEqual(await one(`SELECT big::text, nines::text FROM ybtest.departments`), [['9999999999999999999', '999999999999999999']], 'NUMBER(19) beyond bigint arrives exactly');
    assert.deepEqual(await one(`SELECT date_val::text, timestamp_val::text, ts_tz_value::text, ts_tz_lt_value::text FROM ybtest.date_time_types ORDER BY id`), [
      ['2020-12-31 23:59:59', '2002-09-10 14:10:10.123456', '2020-10-25 00:30:00+00', '2020-10-25 04:30:00+00'],
      ['4712-01-01 00:00:00 BC', '9999-12-31 23:59:59.999999', null, null],
    ]);
    assert.deepEqual(await one(`SELECT int_y_m::text, int_d_s::text FROM ybtest.interval_types ORDER BY id`), [
      ['-1 years -5 mons', '-00:26:00'],
      ['1 year 2 mons', '3 days 02:25:45.12'],
      ['5 mons', '24 days 23:34:05.878667'],
    ]);
    assert.deepEqual(await one(`SELECT bin_float_val::text, bin_double_val::text, num_val::text FROM ybtest.numeric_types ORDER BY id`), [
      ['1.17549e-38', '2.2250748585072e-308', '13'],
      ['-Infinity', 'Infinity', '0.00012'],
      ['NaN', null, null],
    ]);
    assert.deepEqual(await one(`SELECT emp_name, address, rtrim(address_2), address_3 FROM ybtest.char_types`), [['tab\there, newline\nthere, back\\slash', 'ü日本', 'ab', null]], "text keeps tabs, newlines and backslashes; '' is NULL");
    assert.deepEqual(await one(`SELECT encode(raw_value, 'hex'), encode(long_raw_value, 'hex') FROM ybtest.raw_type ORDER BY id`), [['ffffffff', '7fffffff16'], [null, null]]);
    assert.deepEqual(await one(`SELECT encode(b_type, 'escape'), ctype FROM ybtest.lob_types`), [['abc', 'abc']]);
    assert.deepEqual(await one(`SELECT guid::text, bonus::text, hired::text FROM ybtest.employees`), [['01234567-89ab-cdef-0123-456789abcdef', '10.050', '2024-01-02 03:04:05']], 'RAW(16) SYS_GUID is a uuid; the virtual column is computed by the target');
    assert.deepEqual(await one(`SELECT tableoid::regclass::text, sale_id::text FROM ybtest.sales ORDER BY sale_id`), [['ybtest.sales_2023', '1'], ['ybtest.sales_2024', '2']]);
  });

  test('a column whose data cannot be exported is refused up front, naming the way out', async () => {
    const { engine } = replayEngine();
    const { exportDir, state } = newExportDir();
    await assert.rejects(
      exportSnapshot({ source: { engine, conn: FIXTURE_CONN }, state, exportDir, log: nullLogger, progress: quiet, say: () => undefined }, options({ excludeTableList: undefined }), new AbortController().signal),
      (e: unknown) => e instanceof UserError && /ybtest\.varray_table\.v1 has user-defined type YBTEST\.VARRAY_TYPE.*--exclude-table-list ybtest\.varray_table/.test(e.oneLine()),
    );
  });

  test('--export-type snapshot-and-changes is refused for Oracle, saying why', async () => {
    const { engine } = replayEngine();
    const { exportDir, state } = newExportDir();
    await assert.rejects(
      exportSnapshot({ source: { engine, conn: FIXTURE_CONN }, state, exportDir, log: nullLogger, progress: quiet, say: () => undefined }, options({ exportType: 'snapshot-and-changes' }), new AbortController().signal),
      (e: unknown) => e instanceof UserError && /snapshot-and-changes is refused for Oracle: .*LogMiner.*no Oracle server.*--export-type snapshot-only/.test(e.oneLine()),
    );
  });

  test('a value PostgreSQL cannot store (CHR(0)) stops the export with the table, row and fix', async () => {
    const fixture = JSON.parse(fs.readFileSync(ORACLE_FIXTURE, 'utf8'));
    fixture.queries['snapshot.rows YBTEST.LONG_TYPE scn=4711'] = [{ ID: '1', LONG_VALUE: 'a' }, { ID: '2', LONG_VALUE: 'nul\u0000here' }];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-oracle-nul-')), 'fixture.json');
    roots.push(path.dirname(file));
    fs.writeFileSync(file, JSON.stringify(fixture));
    const { engine } = replayEngine(file);
    const { exportDir, state } = newExportDir();
    await assert.rejects(
      exportSnapshot({ source: { engine, conn: FIXTURE_CONN }, state, exportDir, log: nullLogger, progress: quiet, say: () => undefined }, options({ tableList: ['long_type'] }), new AbortController().signal),
      (e: unknown) => e instanceof VoyagerError && /YBTEST\.LONG_TYPE row 2: .*CHR\(0\)/.test(e.oneLine()) && /fix the value on the source/.test(e.oneLine()),
    );
  });
});
