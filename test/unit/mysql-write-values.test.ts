/** Fall-back onto MySQL, pure parts: PostgreSQL COPY text → the value written into a MySQL column, and statement packing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import { pack } from '../../src/adapters/mysql/apply-sql.js';
import { ValueError } from '../../src/adapters/mysql/values.js';
import { SqlLiteral, toMySqlValue, writeKindOf, type WriteColumn } from '../../src/adapters/mysql/write-values.js';

const col = (dataType: string, columnType = dataType): WriteColumn => ({ name: 'c', kind: writeKindOf(dataType, columnType) });
/** The value as it appears in the SQL text mysql2 sends. */
const sql = (c: WriteColumn, text: string | null) => mysql.escape(toMySqlValue(c, text));

test('numbers are written as unquoted literals, exactly as PostgreSQL printed them', () => {
  assert.equal(sql(col('int', 'int(11)'), '-2147483648'), '-2147483648');
  assert.equal(sql(col('bigint', 'bigint(20) unsigned'), '18446744073709551615'), '18446744073709551615');
  assert.equal(sql(col('decimal', 'decimal(65,30)'), '12345678901234567890123456789012345.123456789012345678901234567890'),
    '12345678901234567890123456789012345.123456789012345678901234567890');
  assert.equal(sql(col('tinyint', 'tinyint(1)'), '1'), '1');
  assert.equal(sql(col('float'), '3.4028235e+38'), '3.4028235e+38');
  assert.equal(sql(col('double'), '-1.2345678901234567e-300'), '-1.2345678901234567e-300');
  assert.equal(sql(col('double'), '0.1'), '0.1');
  assert.ok(toMySqlValue(col('decimal'), '1.10') instanceof SqlLiteral);
});

test('NaN and infinity are refused with the column named, never written', () => {
  for (const [type, text] of [['double', 'NaN'], ['float', 'Infinity'], ['double', '-Infinity'], ['decimal', 'NaN']]) {
    assert.throws(() => toMySqlValue(col(type), text), (e: Error) => e instanceof ValueError && /column c: .*NaN or infinity/.test(e.message), `${type} ${text}`);
  }
  assert.throws(() => toMySqlValue(col('int'), '1; DROP TABLE t'), ValueError, 'only a number becomes a literal');
});

test('YEAR is a number (the string 0 would be 2000), BIT a bit literal of the same bits, bytea the bytes', () => {
  assert.equal(toMySqlValue(col('year'), '0'), 0);
  assert.equal(toMySqlValue(col('year'), '2155'), 2155);
  assert.equal(sql(col('bit', 'bit(10)'), '1010000001'), "b'1010000001'");
  assert.equal(sql(col('bit', 'bit(64)'), '1'.repeat(64)), `b'${'1'.repeat(64)}'`);
  assert.throws(() => toMySqlValue(col('bit', 'bit(65)'), '1'.repeat(65)), ValueError);
  assert.deepEqual(toMySqlValue(col('varbinary', 'varbinary(8)'), '\\x610000'), Buffer.from([0x61, 0, 0]), 'trailing zero bytes kept');
  assert.deepEqual(toMySqlValue(col('blob'), '\\x'), Buffer.alloc(0));
  assert.equal(sql(col('binary', 'binary(4)'), '\\x00FF0000'), "X'00ff0000'");
  assert.throws(() => toMySqlValue(col('blob'), 'abc'), /hex form/);
});

test('dates and times are written as text; infinity, BC and years past 9999 are refused', () => {
  assert.equal(toMySqlValue(col('date'), '2024-02-29'), '2024-02-29');
  assert.equal(toMySqlValue(col('datetime', 'datetime(6)'), '2024-05-01 10:00:00.123456'), '2024-05-01 10:00:00.123456');
  assert.equal(toMySqlValue(col('time', 'time(3)'), '23:59:59.999'), '23:59:59.999');
  assert.equal(toMySqlValue(col('time'), '24:00:00'), '24:00:00');
  assert.throws(() => toMySqlValue(col('date'), 'infinity'), /column c: MySQL has no infinite dates/);
  assert.throws(() => toMySqlValue(col('datetime'), '-infinity'), /infinite/);
  assert.throws(() => toMySqlValue(col('date'), '0044-03-15 BC'), /before year 1/);
  assert.throws(() => toMySqlValue(col('datetime'), '12024-01-01 00:00:00'), /9999/);
});

test('timestamptz at any offset becomes the same instant in UTC, fractions kept', () => {
  const ts = col('timestamp', 'timestamp(6)');
  assert.equal(toMySqlValue(ts, '2024-05-01 10:00:00.5+00'), '2024-05-01 10:00:00.5');
  assert.equal(toMySqlValue(ts, '2024-05-01 10:00:00+00'), '2024-05-01 10:00:00');
  assert.equal(toMySqlValue(ts, '2024-05-01 01:30:00.000001+05:30'), '2024-04-30 20:00:00.000001');
  assert.equal(toMySqlValue(ts, '2023-12-31 22:00:00-03'), '2024-01-01 01:00:00');
  assert.equal(toMySqlValue(ts, '2024-02-29 00:00:00+00:19:32'), '2024-02-28 23:40:28', 'an offset with seconds (LMT)');
  assert.equal(toMySqlValue(ts, '2038-01-19 03:14:07.999999+00'), '2038-01-19 03:14:07.999999');
  assert.throws(() => toMySqlValue(ts, 'infinity'), ValueError);
  assert.throws(() => toMySqlValue(ts, '2024-05-01T10:00:00Z'), /not a timestamp with time zone/);
});

test('text kinds pass through: utf8mb4, ENUM, SET, JSON, UUID, INET6; empty string is not NULL', () => {
  assert.equal(toMySqlValue(col('varchar', 'varchar(10)'), 'żółw 🐢'), 'żółw 🐢');
  assert.equal(toMySqlValue(col('enum', "enum('a','b')"), 'b'), 'b');
  assert.equal(toMySqlValue(col('set', "set('x','y')"), 'x,y'), 'x,y');
  assert.equal(toMySqlValue(col('json'), '{"a": [1, 2]}'), '{"a": [1, 2]}');
  assert.equal(toMySqlValue(col('uuid'), '123e4567-e89b-12d3-a456-426614174000'), '123e4567-e89b-12d3-a456-426614174000');
  assert.equal(toMySqlValue(col('inet6'), '::ffff:1.2.3.4'), '::ffff:1.2.3.4');
  assert.equal(toMySqlValue(col('char', 'char(3)'), ''), '');
  assert.equal(toMySqlValue(col('varchar', 'varchar(3)'), null), null);
  assert.equal(toMySqlValue(col('int'), null), null);
  assert.equal(sql(col('text'), "it's \\ here"), "'it\\'s \\\\ here'");
  assert.throws(() => toMySqlValue(col('point'), '\\x00'), /spatial/);
});

test('statements are packed under the byte limit, an oversized item alone', () => {
  assert.deepEqual(pack('D (', ['1', '2', '3'], ', ', ')', 100), ['D (1, 2, 3)']);
  assert.deepEqual(pack('D (', ['1', '2', '3'], ', ', ')', 9), ['D (1, 2)', 'D (3)']);
  assert.deepEqual(pack('', ['x'.repeat(20), 'y'], ';', '', 10), ['x'.repeat(20), 'y']);
  assert.deepEqual(pack('', [], ';', '', 10), []);
});
