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
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/adapters/engine.js';
import type { OracleFixture, OracleFixtureValue } from '../../src/adapters/oracle/query-runner.js';
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

const CHILD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../helpers/oracle-lob-export-child.js');

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

  /** COPY every data file of the export into `db`, through a COPY FROM STDIN statement of the shape import data uses. */
  async function copyInto(into: string, exportDir: ExportDir, state: StateStore): Promise<void> {
    const tables = new Map(readExportData(state)!.tables.map((t) => [`${t.schema}.${t.table}`, t]));
    const { default: copyStreams } = await import('pg-copy-streams');
    for (const c of allChunks(state)) {
      const t = tables.get(`${c.schema_name}.${c.table_name}`)!;
      const client = await cluster.connectAdmin(into);
      try {
        const cols = t.columns.map((x) => `"${x}"`).join(', ');
        const stream = client.query(copyStreams.from(`COPY "${t.schema}"."${t.table}" (${cols}) FROM STDIN`));
        await pipeline(fs.createReadStream(exportDir.dataFile(c.file_name)), stream);
      } finally {
        await client.end();
      }
    }
  }

  async function query(into: string, sql: string): Promise<(string | null)[][]> {
    const client = await cluster.connectAdmin(into);
    try {
      return (await client.query({ text: sql, rowMode: 'array' })).rows.map((row: unknown[]) => row.map((v) => (v === null ? null : String(v))));
    } finally {
      await client.end();
    }
  }

  /** The synthetic fixture with LOB_TYPES's rows replaced, written to a file of its own. */
  function lobFixture(rows: Record<string, OracleFixtureValue>[]): string {
    const fixture = JSON.parse(fs.readFileSync(ORACLE_FIXTURE, 'utf8')) as OracleFixture;
    fixture.queries['snapshot.rows YBTEST.LOB_TYPES scn=4711'] = rows;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-oracle-lob-')), 'fixture.json');
    roots.push(path.dirname(file));
    fs.writeFileSync(file, JSON.stringify(fixture));
    return file;
  }

  function exportLobTypes(engine: Engine, exportDir: ExportDir, state: StateStore, signal = new AbortController().signal) {
    return exportSnapshot({ source: { engine, conn: FIXTURE_CONN }, state, exportDir, log: nullLogger, progress: quiet, say: () => undefined }, options({ tableList: ['lob_types'], parallelJobs: 1 }), signal);
  }

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

    await copyInto(db, exportDir, state);

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

  test('LOBs stream piece by piece into exact values: a backslash, tab, newline, CR, split UTF-8 character or surrogate pair on a piece boundary', async () => {
    const emoji = '\u{1F600}';
    // CLOB pieces as the driver gives them (strings): every escape and a surrogate pair fall on a boundary.
    const clob = ['back\\', '\\slash\t', '\ttab\n', '\nnl\r', '\r\ncr ü', '日' + emoji[0], emoji[1] + 'end\\'];
    // NCLOB pieces as UTF-8 bytes: 'ü' (2 bytes), '日' (3) and the emoji (4) each cut inside.
    const utf8 = Buffer.from('aü日' + emoji + '\\\t\n', 'utf8');
    const cuts = [2, 4, 6, 9, 12, 13, 14];
    const nclobPieces = cuts.map((at, i) => utf8.subarray(i ? cuts[i - 1] : 0, at).toString('hex')).concat(utf8.subarray(cuts.at(-1)).toString('hex'));
    const blob = ['5c', '00ff', '', '0a095c78'];
    const file = lobFixture([
      { ID: '1', B_TYPE: { lob: 'blob', pieces: blob }, CTYPE: { lob: 'clob', pieces: clob }, N_TYPE: { lob: 'clob', utf8: true, pieces: nclobPieces } },
      // An empty LOB (EMPTY_CLOB()/EMPTY_BLOB()) is not NULL in Oracle, and stays empty; a NULL LOB is NULL.
      { ID: '2', B_TYPE: { lob: 'blob', pieces: [] }, CTYPE: { lob: 'clob', pieces: [] }, N_TYPE: null },
      // Generated, pieces of 7 code units over a 10-unit pattern: every offset of the pattern starts a piece.
      { ID: '3', B_TYPE: { lob: 'blob', size: 7000, pattern: '5c0a09ff', pieceSize: 3 }, CTYPE: { lob: 'clob', size: 7000, pattern: `ab\\c\tü日${emoji}\n`, pieceSize: 7 }, N_TYPE: { lob: 'clob', utf8: true, size: 13000, pattern: Buffer.from(`x\\ü日${emoji}\r\n`).toString('hex'), pieceSize: 5 } },
    ]);
    const { engine, replay } = replayEngine(file);
    const { exportDir, state } = newExportDir();
    const into = await cluster.createDatabase('oralobedge');
    await exportAndApplyFixtureSchema(engine, exportDir, state, cluster, into);
    replay.lobsOpened = replay.lobsClosed = 0;
    assert.equal((await exportLobTypes(engine, exportDir, state)).status, 'exported');
    await copyInto(into, exportDir, state);
    const rows = await query(into, `SELECT id::text, encode(b_type, 'hex'), ctype, n_type FROM ybtest.lob_types ORDER BY id`);
    assert.deepEqual(rows.slice(0, 2), [
      ['1', blob.join(''), clob.join(''), utf8.toString('utf8')],
      ['2', '', '', null],
    ]);
    const digest = (v: string | null) => createHash('md5').update(v ?? '<null>').digest('hex');
    assert.deepEqual(rows[2].map(digest), ['3', '5c0a09ff'.repeat(1750), `ab\\c\tü日${emoji}\n`.repeat(700), `x\\ü日${emoji}\r\n`.repeat(1000)].map(digest), 'the generated LOBs arrive exactly (compared by md5)');
    assert.equal(replay.lobsOpened, 8, 'every non-NULL LOB was fetched as a LOB');
    assert.equal(replay.lobsClosed, replay.lobsOpened, 'every LOB was closed');
  });

  test('a LOB that fails mid-read, or an export interrupted mid-LOB, still closes every LOB of the row', async () => {
    const failing = lobFixture([
      { ID: '1', B_TYPE: { lob: 'blob', pieces: ['00'] }, CTYPE: { lob: 'clob', pieces: ['ok', 'nul\u0000here'] }, N_TYPE: { lob: 'clob', pieces: ['never read'] } },
    ]);
    const a = replayEngine(failing);
    const dirA = newExportDir();
    await assert.rejects(exportLobTypes(a.engine, dirA.exportDir, dirA.state), (e: unknown) => e instanceof VoyagerError && /YBTEST\.LOB_TYPES row 1: .*CHR\(0\)/.test(e.oneLine()));
    assert.deepEqual([a.replay.lobsOpened, a.replay.lobsClosed], [3, 3], 'the unread NCLOB was closed too');

    const big = lobFixture([{ ID: '1', B_TYPE: null, CTYPE: { lob: 'clob', size: 1 << 20, pattern: 'x', pieceSize: 1024 }, N_TYPE: { lob: 'clob', pieces: ['n'] } }]);
    const b = replayEngine(big);
    const dirB = newExportDir();
    const ac = new AbortController();
    let seen = 0;
    b.replay.onLobPiece = () => {
      if (++seen === 10) ac.abort(new UserError('interrupted by the test', 'none'));
    };
    const outcome = await exportLobTypes(b.engine, dirB.exportDir, dirB.state, ac.signal).then((r) => r.status, (e: unknown) => (e instanceof Error ? e.message : String(e)));
    assert.notEqual(outcome, 'exported');
    assert.ok(seen < 1024, `the read stopped within the LOB (${seen} of 1024 pieces)`);
    assert.deepEqual([b.replay.lobsOpened, b.replay.lobsClosed], [2, 2]);
  });

  test('a LOB far larger than memory allows streams through with bounded memory, and arrives exactly in PostgreSQL', async () => {
    const emoji = '\u{1F600}';
    const clobPattern = `ab\\c\tü日${emoji}\n`; // 10 UTF-16 code units, 16 UTF-8 bytes
    const clobUnits = 10 * 6_710_886; // 64 MiB of code units (a whole number of patterns)
    const ncPattern = Buffer.from(`x\\ü日${emoji}\r\n`); // 13 bytes
    const ncBytes = 13 * 600_000; // 7.4 MiB
    const blobPattern = 'deadbeef005cff'; // 7 bytes
    const blobBytes = 7 * 4_793_490; // 32 MiB
    const file = lobFixture([
      {
        ID: '1',
        B_TYPE: { lob: 'blob', size: blobBytes, pattern: blobPattern, pieceSize: 65_537 },
        CTYPE: { lob: 'clob', size: clobUnits, pattern: clobPattern, pieceSize: 65_521 },
        N_TYPE: { lob: 'clob', utf8: true, size: ncBytes, pattern: ncPattern.toString('hex'), pieceSize: 32_749 },
      },
    ]);
    const { exportDir, state } = newExportDir();
    state.close();
    stores.splice(stores.indexOf(state), 1);
    const child = spawn(process.execPath, ['--max-old-space-size=64', '--expose-gc', CHILD, file, exportDir.root, 'lob_types'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, `the export child failed: ${err.slice(-2000)}`);
    const m = JSON.parse(out.trim().split('\n').at(-1)!) as { status: string; pieces: number; rssGrowth: number; heapGrowth: number; liveHeapGrowth: number; externalGrowth: number; lobsOpened: number; lobsClosed: number };
    assert.equal(m.status, 'exported');
    const MiB = 1 << 20;
    const lobBytes = clobUnits + ncBytes + blobBytes;
    // Measured: record the figures with the assertion so a regression shows how far it moved.
    const figures = `rss +${(m.rssGrowth / MiB).toFixed(1)} MiB, heap +${(m.heapGrowth / MiB).toFixed(1)} MiB (reachable after GC +${(m.liveHeapGrowth / MiB).toFixed(1)} MiB), external +${(m.externalGrowth / MiB).toFixed(1)} MiB over ${m.pieces} pieces, LOBs ${(lobBytes / MiB).toFixed(0)} MiB`;
    console.log(`large LOB export: ${figures}`);
    assert.ok(m.pieces > 1000, figures);
    // The CLOB alone is 128 MiB as one JavaScript string (64 Mi UTF-16 code units) and 102 MiB as UTF-8; the
    // child's old space is capped at 64 MiB, so holding it whole would crash the export. What stays reachable is
    // about a piece and the 1 MiB write buffer; the rest of the growth is garbage not yet collected.
    assert.ok(m.liveHeapGrowth < 8 * MiB, `the heap reachable after a full GC grew by less than 8 MiB: ${figures}`);
    assert.ok(m.rssGrowth < 64 * MiB, `resident memory grew by less than 64 MiB, half the CLOB as a string: ${figures}`);
    assert.deepEqual([m.lobsOpened, m.lobsClosed], [3, 3]);

    const reopened = StateStore.open(exportDir.stateDb);
    stores.push(reopened);
    const into = await cluster.createDatabase('oralobbig');
    const { engine } = replayEngine();
    const schemaDir = newExportDir();
    await exportAndApplyFixtureSchema(engine, schemaDir.exportDir, schemaDir.state, cluster, into);
    await copyInto(into, exportDir, reopened);
    const md5 = (unit: Buffer, times: number) => {
      const h = createHash('md5');
      for (let i = 0; i < times; i++) h.update(unit);
      return h.digest('hex');
    };
    const clobUtf8 = Buffer.from(clobPattern, 'utf8');
    assert.deepEqual(await query(into, `SELECT length(ctype)::text, octet_length(ctype)::text, md5(ctype), octet_length(n_type)::text, md5(n_type), octet_length(b_type)::text, md5(b_type) FROM ybtest.lob_types`), [
      [String((clobUnits / 10) * 9), String((clobUnits / 10) * clobUtf8.length), md5(clobUtf8, clobUnits / 10), String(ncBytes), md5(ncPattern, ncBytes / 13), String(blobBytes), md5(Buffer.from(blobPattern, 'hex'), blobBytes / 7)],
    ]);
  });
});
