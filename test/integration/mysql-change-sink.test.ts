/**
 * The MySQL/MariaDB change sink against a real MariaDB (and, for the type round trip, a real PostgreSQL):
 * values come back exactly, the ordered fallback, no foreign-key action, exactly-once across sessions, the
 * watermark conflict, names mapped case-insensitively.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { MySqlChangeApplier } from '../../src/adapters/mysql/change-applier.js';
import { mysqlChangeSink } from '../../src/adapters/mysql/change-sink.js';
import { listTables } from '../../src/adapters/mysql/table-catalog.js';
import { snapshotValueText } from '../../src/adapters/mysql/values.js';
import { ChunkCompactor } from '../../src/core/apply-batching.js';
import type { DataEvent, Row } from '../../src/core/change-event.js';
import type { Conn } from '../../src/core/connection.js';
import { COPY_TEXT_SESSION_SETTINGS } from '../../src/core/copy-text.js';
import { DbError, UserError } from '../../src/infra/errors.js';
import { nullLogger } from '../../src/infra/logger.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD, MYSQL_MIGRATION_USER } from '../helpers/mariadb-server.js';
import { PgCluster } from '../helpers/pg-cluster.js';

let my: MariaDbServer;
let pgc: PgCluster;
before(async () => {
  [my, pgc] = await Promise.all([MariaDbServer.start(), PgCluster.start()]);
});
after(async () => {
  await Promise.all([my?.stop(), pgc?.stop()]);
});

const conn = (database: string): Conn => ({
  settings: { role: 'source', host: my.host, port: my.port, user: MYSQL_MIGRATION_USER, database, sslMode: 'disable' },
  secret: { password: MYSQL_MIGRATION_PASSWORD },
});
/** The metadata database is the server's: each test applies as a migration of its own. */
let migrations = 0;
const newMigration = () => `00000000-0000-4000-8000-${String(++migrations).padStart(12, '0')}`;
const open = (database: string, uuid = newMigration()) => MySqlChangeApplier.open(conn(database), { migrationUuid: uuid, side: 'source', log: nullLogger });

let vsn = 0;
function chunk(events: Omit<DataEvent, 'vsn'>[]) {
  const c = new ChunkCompactor();
  for (const e of events) c.add({ ...e, vsn: ++vsn });
  return c.result();
}
const ins = (table: string, after: Row, key = 'id'): Omit<DataEvent, 'vsn'> => ({ op: 'c', schema: 'public', table, key: { [key]: after[key] }, after });
const upd = (table: string, key: Row, after: Row): Omit<DataEvent, 'vsn'> => ({ op: 'u', schema: 'public', table, key, after });
const del = (table: string, key: Row): Omit<DataEvent, 'vsn'> => ({ op: 'd', schema: 'public', table, key });

/** Every row of `table` as the forward path exports it: PostgreSQL text per column (values.ts). */
async function exported(c: mysql.Connection, database: string, table: string): Promise<Row[]> {
  const t = (await listTables(c, database)).find((x) => x.name === table)!;
  const [rows] = await c.query({ sql: `SELECT * FROM \`${table}\` ORDER BY id`, rowsAsArray: true, typeCast: false } as never);
  return (rows as unknown as (Buffer | null)[][]).map((r) => Object.fromEntries(t.columns.map((col, i) => [col.pgName, snapshotValueText(col, r[i])])));
}

const TYPES = `(id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  ti TINYINT, b1 TINYINT(1), su SMALLINT UNSIGNED, mi MEDIUMINT, i INT, iu INT UNSIGNED, bi BIGINT,
  dm DECIMAL(65,30), f FLOAT, d DOUBLE, bit1 BIT(1), bit10 BIT(10), bit64 BIT(64),
  ch CHAR(5), vc VARCHAR(50), tx TEXT, en ENUM('a','b',''), st SET('x','y','z'),
  bn BINARY(4), vb VARBINARY(10), bl BLOB,
  dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(3), yr YEAR, js JSON, uu UUID, ip INET6)`;
const PG_TYPES = `(id numeric(20,0) PRIMARY KEY, ti smallint, b1 smallint, su integer, mi integer, i integer, iu bigint, bi bigint,
  dm numeric(65,30), f real, d double precision, bit1 bit(1), bit10 bit(10), bit64 bit(64),
  ch char(5), vc varchar(50), tx text, en text, st text, bn bytea, vb bytea, bl bytea,
  dt date, dtm timestamp(6), ts timestamptz(6), tm time(3), yr smallint, js jsonb, uu uuid, ip inet)`;
const ROWS = `
  (18446744073709551614, -128, 1, 65535, -8388608, -2147483648, 4294967295, -9223372036854775808,
   '-99999999999999999999999999999999999.999999999999999999999999999999', 0.1, 0.1, b'1', b'1010000001', b'${'1'.repeat(64)}',
   'ab', 'żółw 🐢', 'tab\\there\\nnew ''q'' back\\\\slash', 'b', 'x,z',
   X'61000000', X'610000', X'00FF00', '2024-02-29', '2024-05-01 10:00:00.123456', '2038-01-19 03:14:07.999999', '23:59:59.999', 0,
   '{"a": "x", "b": [1, 2.5, null]}', '123e4567-e89b-12d3-a456-426614174000', '::ffff:1.2.3.4'),
  (18446744073709551615, 127, 0, 0, 8388607, 2147483647, 0, 9223372036854775807,
   '12345678901234567890123456789012345.123456789012345678901234567891', -1.5, -1.2345678901234567e-300, b'0', b'0000000001', b'${'0'.repeat(63)}1',
   '', '', '', '', '', X'00000000', X'', X'', '1000-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '00:00:00.001', 2155,
   '[]', '00000000-0000-0000-0000-000000000000', '2001:db8::1'),
  (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;

test('every type: MySQL → PostgreSQL text → MySQL gives the original value; keys above 2^53 match exactly', async () => {
  const db = await my.createDatabase('types');
  await my.query(`SET time_zone = '+00:00'; CREATE TABLE orig ${TYPES}; CREATE TABLE copy ${TYPES}; INSERT INTO orig VALUES ${ROWS}`, [], db);
  const pgDb = await pgc.createDatabase('types');
  const pg = await pgc.connectAdmin(pgDb);
  const c = await my.connectAdmin(db);
  await c.query("SET time_zone = '+00:00'"); // TIMESTAMP shows in the session's zone: UTC, as the tool's sessions
  try {
    // Forward: the snapshot's text into PostgreSQL; back: PostgreSQL's own text, as the fall-back stream carries it.
    const forward = await exported(c, db, 'orig');
    await pg.query(`CREATE TABLE t ${PG_TYPES}`);
    for (const sql of COPY_TEXT_SESSION_SETTINGS) await pg.query(sql);
    const cols = Object.keys(forward[0]);
    for (const r of forward) await pg.query(`INSERT INTO t VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, cols.map((k) => r[k]));
    const back = (await pg.query<Row>('SELECT * FROM t ORDER BY id')).rows;
    assert.equal(back[1].ts, '2038-01-19 03:14:07.999999+00', 'PostgreSQL\'s own text (row order: id 1 first)');

    const sink = await open(db);
    try {
      await sink.applyChunk(chunk(back.map((r) => ins('copy', r))));
      await sink.commit(vsn);
    } finally {
      await sink.close();
    }
    const differ = await my.query<{ id: string; col: string }[]>(
      cols.map((k) => `SELECT CAST(o.id AS CHAR) AS id, '${k}' AS col FROM orig o JOIN copy c USING (id) WHERE NOT (o.\`${k}\` <=> c.\`${k}\`)`).join(' UNION ALL '), [], db);
    assert.deepEqual(differ, [], 'every column of every row is equal on MySQL');
    assert.deepEqual(await exported(c, db, 'copy'), forward, 'and exports to the same PostgreSQL text');

    // Updates and deletes by keys that differ only beyond 2^53: a string compared with BIGINT would be a double.
    const sink2 = await open(db);
    try {
      await sink2.applyChunk(chunk([
        upd('copy', { id: '18446744073709551614' }, { id: '18446744073709551614', dm: '0.000000000000000000000000000001', d: '1e+300', ts: '2024-05-01 12:00:00.5+02' }),
        del('copy', { id: '18446744073709551615' }),
      ]));
      await sink2.commit(vsn);
    } finally {
      await sink2.close();
    }
    const [left] = (await c.query('SELECT CAST(id AS CHAR) AS id, CAST(dm AS CHAR) AS dm, CAST(d AS CHAR) AS d, CAST(ts AS CHAR) AS ts, CAST(f AS CHAR) AS f FROM copy ORDER BY id')) as unknown as [Record<string, string>[]];
    assert.deepEqual(left.map((r) => r.id), ['1', '18446744073709551614']);
    assert.equal(left[1].dm, '0.000000000000000000000000000001');
    assert.equal(left[1].d, '1e300');
    assert.equal(left[1].ts, '2024-05-01 10:00:00.500000', 'an instant at +02 is stored in UTC');
    assert.equal(left[1].f, '0.1', 'columns the update did not carry are left alone');
  } finally {
    await pg.end();
    await c.end();
  }
});

test('a table without a key: one of identical rows matched by all its values, NULLs included, exactly beyond 2^53', async () => {
  const db = await my.createDatabase('keyless');
  await my.query(`CREATE TABLE nk (v BIGINT UNSIGNED, dm DECIMAL(65,30), t TEXT);
    INSERT INTO nk VALUES (18446744073709551614, 0.1, 'a'), (18446744073709551615, 0.1, 'a'), (18446744073709551615, 0.1, 'a'), (1, NULL, NULL)`, [], db);
  const all = (v: string, t: string | null = 'a') => ({ v, dm: t === null ? null : '0.100000000000000000000000000000', t });
  const sink = await open(db);
  try {
    await sink.applyChunk(chunk([
      { op: 'd', schema: 'public', table: 'nk', key: all('18446744073709551615') },
      { op: 'u', schema: 'public', table: 'nk', key: all('1', null), after: { v: '2', dm: null, t: null } },
    ]));
    await sink.commit(vsn);
    assert.equal(sink.fallbackEvents, 2, 'keyless tables go one event at a time');
  } finally {
    await sink.close();
  }
  const left = await my.query<{ v: string }[]>('SELECT CAST(v AS CHAR) AS v FROM nk ORDER BY nk.v', [], db);
  assert.deepEqual(left.map((r) => r.v), ['2', '18446744073709551614', '18446744073709551615'], 'one of the two identical rows, and not its neighbour below 2^64');
});

test('a value MySQL cannot hold stops the apply with the table and column named, nothing half-written', async () => {
  const db = await my.createDatabase('refuse');
  await my.query('CREATE TABLE m (id INT PRIMARY KEY, d DOUBLE, dt DATE)', [], db);
  const sink = await open(db);
  try {
    await assert.rejects(sink.applyChunk(chunk([ins('m', { id: '1', d: '1.5', dt: '2024-01-01' }), ins('m', { id: '2', d: 'NaN', dt: '2024-01-01' })])),
      (e: unknown) => e instanceof DbError && e.kind === 'data' && /table m: column d: .*NaN/.test(e.message));
    await sink.rollback();
    await assert.rejects(sink.applyChunk(chunk([ins('m', { id: '3', d: '0', dt: 'infinity' })])), /column dt: MySQL has no infinite dates/);
    await sink.rollback();
  } finally {
    await sink.close();
  }
  assert.deepEqual(await my.query('SELECT * FROM m', [], db), []);
});

test('a unique swap goes one by one in source order inside the transaction; earlier chunks are kept', async () => {
  const db = await my.createDatabase('swap');
  await my.query(`CREATE TABLE u (id INT PRIMARY KEY, email VARCHAR(20) UNIQUE, v TEXT); INSERT INTO u VALUES (1, 'a', 'one'), (2, 'b', 'two');
    CREATE TABLE other (id INT PRIMARY KEY)`, [], db);
  const sink = await open(db);
  try {
    await sink.applyChunk(chunk([ins('other', { id: '1' })]));
    await sink.applyChunk(chunk([
      upd('u', { id: '1' }, { id: '1', email: 'tmp', v: 'one' }), upd('u', { id: '2' }, { id: '2', email: 'a', v: 'two' }),
      upd('u', { id: '1' }, { id: '1', email: 'b', v: 'one' }), ins('other', { id: '2' }),
    ]));
    await sink.commit(vsn);
    assert.equal(sink.fallbackEvents, 3, 'only the conflicting table went one by one');
    assert.deepEqual(sink.applied.totals, { c: 2, u: 3, d: 0 });
  } finally {
    await sink.close();
  }
  assert.deepEqual(await my.query('SELECT id, email FROM u ORDER BY id', [], db), [{ id: 1, email: 'b' }, { id: 2, email: 'a' }]);
  assert.deepEqual(await my.query('SELECT id FROM other ORDER BY id', [], db), [{ id: 1 }, { id: 2 }]);
});

test('foreign_key_checks off: a parent delete does not cascade (children come as their own events); id 0 stays 0', async () => {
  const db = await my.createDatabase('fk');
  await my.query(`CREATE TABLE parent (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT);
    CREATE TABLE child (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES parent (id) ON DELETE CASCADE);
    INSERT INTO parent VALUES (1, 'p'); INSERT INTO child VALUES (10, 1), (11, 1)`, [], db);
  const sink = await open(db);
  try {
    await sink.applyChunk(chunk([del('parent', { id: '1' }), ins('parent', { id: '0', v: 'zero' }), ins('child', { id: '12', pid: '99' })]));
    await sink.commit(vsn);
    assert.deepEqual(await my.query('SELECT id FROM child ORDER BY id', [], db), [{ id: 10 }, { id: 11 }, { id: 12 }], 'no cascade, no FK check');
    await sink.applyChunk(chunk([del('child', { id: '10' }), del('child', { id: '11' })]));
    await sink.commit(vsn);
  } finally {
    await sink.close();
  }
  assert.deepEqual(await my.query('SELECT id FROM child', [], db), [{ id: 12 }]);
  assert.deepEqual(await my.query('SELECT id, v FROM parent', [], db), [{ id: 0, v: 'zero' }], 'NO_AUTO_VALUE_ON_ZERO');
});

test('names: a mixed-case table and columns are found; generated columns are never written; a missing table is named', async () => {
  const db = await my.createDatabase('names');
  await my.query('CREATE TABLE `MixedCase` (`Id` INT PRIMARY KEY, `Val` INT, `Twice` INT AS (`Val` * 2) STORED, `Keyless` TEXT)', [], db);
  const uuid = newMigration();
  const sink = await open(db, uuid);
  try {
    await sink.applyChunk(chunk([ins('mixedcase', { id: '1', val: '21', twice: '0', keyless: 'k' })]));
    await sink.commit(vsn);
    await assert.rejects(sink.applyChunk(chunk([ins('nosuch', { id: '1' })])),
      (e: unknown) => e instanceof DbError && e.kind === 'not-found' && /table nosuch .* no table of that name/.test(e.message) && /create the table on the source/.test(e.hint ?? ''));
  } finally {
    await sink.close();
  }
  assert.deepEqual(await my.query('SELECT * FROM `MixedCase`', [], db), [{ Id: 1, Val: 21, Twice: 42, Keyless: 'k' }]);
  assert.deepEqual(await mysqlChangeSink.importedCounts(conn(db), uuid), [{ schema: 'public', table: 'mixedcase', inserts: 1, updates: 0, deletes: 0 }]);
});

test('exactly once across sessions; a second applier that lost the watermark race is refused and leaves nothing', async () => {
  const db = await my.createDatabase('once');
  await my.query('CREATE TABLE k (id INT PRIMARY KEY, v INT)', [], db);
  const uuid = newMigration();
  const a = await open(db, uuid);
  try {
    await a.applyChunk(chunk([ins('k', { id: '1', v: '1' }), ins('k', { id: '2', v: '2' })]));
    await a.commit(2);
    await a.applyChunk(chunk([upd('k', { id: '1' }, { id: '1', v: '10' })]));
  } finally {
    await a.close(); // like a kill: the open transaction goes, the watermark stays
  }
  assert.equal(await mysqlChangeSink.appliedWatermark(conn(db), uuid), 2);
  const b = await open(db, uuid);
  const c = await open(db, uuid);
  try {
    assert.deepEqual(b.applied, { watermark: 2, totals: { c: 2, u: 0, d: 0 } });
    await b.applyChunk(chunk([upd('k', { id: '1' }, { id: '1', v: '10' })]));
    await b.commit(3);
    await c.applyChunk(chunk([ins('k', { id: '3', v: '3' })]));
    await assert.rejects(c.commit(4), (e: unknown) => e instanceof UserError && e.kind === 'conflict' && /no longer 2: another process/.test(e.message));
    assert.equal(c.openTransaction, false);
  } finally {
    await b.close();
    await c.close();
  }
  assert.deepEqual(await my.query('SELECT id, v FROM k ORDER BY id', [], db), [{ id: 1, v: 10 }, { id: 2, v: 2 }]);
  const again = await open(db, uuid);
  try {
    assert.deepEqual(again.applied, { watermark: 3, totals: { c: 2, u: 1, d: 0 } }, 'totals across sessions');
  } finally {
    await again.close();
  }
  assert.deepEqual(await mysqlChangeSink.dropMetadata(conn(db)), ['database ybvoyager_metadata']);
  assert.deepEqual(await mysqlChangeSink.dropMetadata(conn(db)), []);
  assert.equal(await mysqlChangeSink.appliedWatermark(conn(db), uuid), undefined);
});
