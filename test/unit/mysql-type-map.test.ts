import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { convertDefault } from '../../src/adapters/mysql/column-defaults.js';
import type { MyColumn } from '../../src/adapters/mysql/schema-reader.js';
import { translateMySql } from '../../src/adapters/mysql/sql-translate.js';
import { enumLabels, mapColumnType, type MyColumnType } from '../../src/adapters/mysql/type-map.js';

function col(columnType: string, o: Partial<MyColumn> = {}): MyColumn {
  const dataType = o.dataType ?? /^[a-z0-9]+/.exec(columnType)![0];
  return {
    name: 'c', dataType, columnType, numericPrecision: null, numericScale: null, datetimePrecision: null, charMaxLength: null, extra: '',
    nullable: true, default: null, collation: null, generation: undefined, comment: '', ...o,
  };
}
const pgType = (c: MyColumnType, jsonText = false) => mapColumnType(c, { table: 'T', jsonText }).pgType;

describe('MySQL type map', () => {
  test('integers widen as the map says; BIGINT UNSIGNED is numeric(20,0) with its range', () => {
    const cases: [string, string][] = [
      ['tinyint(1)', 'smallint'], ['tinyint(4)', 'smallint'], ['tinyint(3) unsigned', 'smallint'], ['smallint(6)', 'smallint'],
      ['smallint(5) unsigned', 'integer'], ['mediumint(9)', 'integer'], ['mediumint(8) unsigned', 'integer'], ['int(11)', 'integer'],
      ['int(10) unsigned', 'bigint'], ['bigint(20)', 'bigint'], ['year(4)', 'smallint'],
    ];
    for (const [t, pg] of cases) assert.equal(pgType(col(t)), pg, t);
    const ubig = mapColumnType(col('bigint(20) unsigned', { name: 'Big' }), { table: 't' });
    assert.equal(ubig.pgType, 'numeric(20,0)');
    assert.equal(ubig.check, 'big BETWEEN 0 AND 18446744073709551615');
    assert.deepEqual(ubig.findings.map((f) => f.kind), ['unsigned-bigint']);
  });

  test('numbers, strings, binaries, times, JSON and MariaDB types', () => {
    assert.equal(pgType(col('decimal(65,30)', { numericPrecision: 65, numericScale: 30 })), 'numeric(65,30)');
    assert.equal(pgType(col('float')), 'real');
    assert.equal(pgType(col('double')), 'double precision');
    assert.equal(pgType(col('bit(5)', { numericPrecision: 5 })), 'bit(5)');
    assert.equal(pgType(col('char(4)', { charMaxLength: 4 })), 'char(4)');
    assert.equal(pgType(col('varchar(300)', { charMaxLength: 300 })), 'varchar(300)');
    for (const t of ['tinytext', 'text', 'mediumtext', 'longtext']) assert.equal(pgType(col(t)), 'text');
    for (const t of ['binary(4)', 'varbinary(9)', 'tinyblob', 'blob', 'mediumblob', 'longblob']) assert.equal(pgType(col(t)), 'bytea');
    assert.equal(pgType(col('longtext'), true), 'jsonb', "MariaDB's JSON alias");
    assert.equal(pgType(col('json')), 'jsonb');
    assert.equal(pgType(col('date')), 'date');
    assert.equal(pgType(col('datetime(3)', { datetimePrecision: 3 })), 'timestamp(3)');
    assert.equal(pgType(col('datetime', { datetimePrecision: 0 })), 'timestamp(0)');
    assert.equal(pgType(col('timestamp(6)', { datetimePrecision: 6 })), 'timestamptz(6)');
    assert.equal(pgType(col('time(2)', { datetimePrecision: 2 })), 'time(2)');
    assert.equal(pgType(col('uuid')), 'uuid');
    assert.equal(pgType(col('inet6')), 'inet');
    assert.deepEqual(mapColumnType(col("set('a','b')"), { table: 't' }), { pgType: 'text', findings: [{ kind: 'set', detail: "c is set('a','b'): text holding the comma-separated members, not checked" }] });
  });

  test('ENUM becomes an enum type named <table>_<column>, labels in order and decoded', () => {
    const m = mapColumnType(col("enum('new','it''s','a\\\\b','')", { name: 'Status' }), { table: 'Orders' });
    assert.equal(m.pgType, 'public.orders_status');
    assert.deepEqual(m.enumType, { name: 'orders_status', labels: ['new', "it's", 'a\\b', ''] });
    assert.deepEqual(enumLabels("set('x','y,z')"), ['x', 'y,z']);
  });

  test('spatial types are unsupported: a bytea stand-in and a finding', () => {
    const m = mapColumnType(col('point'), { table: 't' });
    assert.equal(m.unsupported, true);
    assert.equal(m.pgType, 'bytea');
    assert.deepEqual(m.findings.map((f) => f.kind), ['spatial']);
  });
});

describe('MySQL defaults', () => {
  test('MariaDB shows expressions: literals, NULL, bits, CURRENT_TIMESTAMP by column type, zero dates', () => {
    const d = (def: string, pg: string, type = 'varchar(10)') => convertDefault(col(type, { default: def }), pg, 'mariadb');
    assert.deepEqual(d("'a\\\\b''c'", 'varchar(10)'), { kind: 'sql', sql: "'a\\b''c'" });
    assert.deepEqual(d('NULL', 'integer', 'int'), { kind: 'none' });
    assert.deepEqual(d('5', 'integer', 'int'), { kind: 'sql', sql: '5' });
    assert.deepEqual(d("b'101'", 'bit(5)', 'bit(5)'), { kind: 'sql', sql: "B'00101'" });
    assert.deepEqual(d('current_timestamp(3)', 'timestamp(3)', 'datetime(3)'), { kind: 'sql', sql: 'LOCALTIMESTAMP(3)' });
    assert.deepEqual(d('current_timestamp()', 'timestamptz(0)', 'timestamp'), { kind: 'sql', sql: 'CURRENT_TIMESTAMP' });
    assert.deepEqual(d("'2020-01-02 03:04:05'", 'timestamptz(0)', 'timestamp'), { kind: 'sql', sql: "'2020-01-02 03:04:05+00'" });
    assert.deepEqual(d("'xy'", 'bytea', 'blob'), { kind: 'sql', sql: "'\\x7879'::bytea" });
    assert.deepEqual(d('(1 + 2)', 'integer', 'int'), { kind: 'sql', sql: '(1 + 2)' });
    const zero = d("'0000-00-00'", 'date', 'date');
    assert.equal(zero.kind === 'dropped' && zero.zeroDate, true);
    const opaque = d('uuid()', 'uuid', 'uuid');
    assert.equal(opaque.kind, 'dropped');
  });

  test('MySQL 8 shows raw values, and expressions only with DEFAULT_GENERATED', () => {
    assert.deepEqual(convertDefault(col('varchar(5)', { default: "it's" }), 'varchar(5)', 'mysql'), { kind: 'sql', sql: "'it''s'" });
    assert.deepEqual(convertDefault(col('datetime', { default: 'CURRENT_TIMESTAMP', extra: 'DEFAULT_GENERATED' }), 'timestamp(0)', 'mysql'), { kind: 'sql', sql: 'LOCALTIMESTAMP' });
  });
});

describe('MySQL expressions', () => {
  test('translate identifiers, strings and safe functions', () => {
    assert.deepEqual(translateMySql("(`Order` > 0 and lcase(`Name`) <> _utf8mb4'x''y')"), { ok: true, sql: `(order_ > 0 AND lower(name) <> 'x''y')`.replace('order_', '"order"') });
    assert.deepEqual(translateMySql('select `shop`.`T`.`Id` AS `Id` from `shop`.`T`', { database: 'shop' }), { ok: true, sql: 'SELECT public.t.id AS id FROM public.t' });
    assert.deepEqual(translateMySql('ifnull(`a`, 0) != 1 AND `b` IS NOT NULL'), { ok: true, sql: 'coalesce(a, 0) <> 1 AND b IS NOT NULL' });
  });

  test('refuse what means something else on PostgreSQL', () => {
    for (const e of ['`a` / `b`', '`a` || `b`', 'concat(`a`, `b`)', '`a` DIV 2', '@x + 1', '`a` <=> `b`', 'CURRENT_TIMESTAMP', '`d` + INTERVAL 1 DAY']) {
      assert.equal(translateMySql(e).ok, false, e);
    }
  });
});
