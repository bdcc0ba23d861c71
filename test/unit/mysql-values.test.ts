/** The MySQL data path's pure parts: value rendering (snapshot text and binlog values agree), key ranges, positions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSplittableKey, keyRangePredicate, splitKeyRange } from '../../src/adapters/mysql/key-ranges.js';
import { binlogPositions } from '../../src/adapters/mysql/positions.js';
import { binlogValueText, float32Text, snapshotValueText, ValueError, valueKindOf, type ValueColumn } from '../../src/adapters/mysql/values.js';

const col = (dataType: string, columnType = dataType, bits = 0): ValueColumn => ({ name: 'c', kind: valueKindOf(dataType, columnType), bits });
const buf = (s: string) => Buffer.from(s, 'utf8');

test('snapshot text and binlog values render the same PostgreSQL text', () => {
  const cases: [ValueColumn, Buffer, unknown, string][] = [
    [col('float'), buf('0.1'), 0.10000000149011612, '0.1'],
    [col('float'), buf('-3.40282e38'), -3.4028200183756568e38, '-3.40282e+38'],
    [col('bit', 'bit(10)', 10), Buffer.from([0x02, 0x81]), Buffer.from([0x02, 0x81]), '1010000001'],
    [col('bit', 'bit(1)', 1), Buffer.from([0x01]), Buffer.from([0x01]), '1'],
    [col('year'), buf('0000'), 1900, '0'],
    [col('year'), buf('2155'), 2155, '2155'],
    [col('timestamp', 'timestamp(6)'), buf('2038-01-19 03:14:07.500000'), '2038-01-19 03:14:07.500000', '2038-01-19 03:14:07.500000+00'],
    [col('varbinary', 'varbinary(8)'), Buffer.from([0, 255]), Buffer.from([0, 255]), '\\x00ff'],
    [col('bigint', 'bigint(20) unsigned'), buf('18446744073709551615'), '18446744073709551615', '18446744073709551615'],
    [col('enum', "enum('a','')"), buf(''), undefined, ''],
  ];
  for (const [c, snap, bin, expected] of cases) {
    const snapText = c.kind === 'float' ? String(Number(snapshotValueText(c, snap))) : snapshotValueText(c, snap);
    assert.equal(c.kind === 'float' ? float32Text(Number(snapText)) : snapText, expected, `snapshot ${c.kind} ${expected}`);
    assert.equal(binlogValueText(c, bin), expected, `binlog ${c.kind} ${expected}`);
  }
  assert.equal(binlogValueText(col('uuid'), Buffer.from('123e4567e89b12d3a456426614174000', 'hex')), '123e4567-e89b-12d3-a456-426614174000');
  assert.equal(snapshotValueText(col('int'), null), null);
  assert.equal(binlogValueText(col('int'), null), null);
});

test('values PostgreSQL cannot hold are refused, naming the column', () => {
  assert.throws(() => snapshotValueText(col('date'), buf('0000-00-00')), ValueError);
  assert.throws(() => snapshotValueText(col('datetime'), buf('2024-00-10 00:00:00')), ValueError);
  assert.throws(() => binlogValueText(col('time'), '-12:00:00.5'), /column c: TIME outside/);
  assert.throws(() => binlogValueText(col('time'), '25:00:00'), ValueError);
  assert.equal(binlogValueText(col('time'), '24:00:00'), '24:00:00');
  assert.throws(() => snapshotValueText(col('varchar', 'varchar(5)'), buf('a\0b')), /NUL/);
  assert.throws(() => snapshotValueText(col('point'), buf('x')), /spatial/);
});

test('key ranges cover every key exactly once, open at both ends', () => {
  const ranges = splitKeyRange('id', 1n, 1000n, 4);
  assert.equal(ranges.length, 4);
  assert.equal(ranges[0].from, undefined);
  assert.equal(ranges[3].to, undefined);
  for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i].from, ranges[i - 1].to);
  assert.deepEqual(splitKeyRange('id', 5n, 6n, 4), [{}], 'too few keys to split');
  assert.equal(keyRangePredicate(ranges[1], (n) => `\`${n}\``), '`id` >= 251 AND `id` < 501');
  assert.equal(keyRangePredicate({}, (n) => n), '');
  assert.ok(isSplittableKey(['bigint']) && !isSplittableKey(['varchar']) && !isSplittableKey(['int', 'int']));
});

test('binlog positions order by file number, then offset', () => {
  const { compare, origin } = binlogPositions;
  assert.ok(compare('mysql-bin.000002:4', 'mysql-bin.000001:99999') > 0);
  assert.ok(compare('mysql-bin.000001:120', 'mysql-bin.000001:4') > 0);
  assert.equal(compare('mysql-bin.000010:7', 'mysql-bin.000010:7'), 0);
  assert.ok(compare(origin, 'mysql-bin.000001:4') < 0);
});
