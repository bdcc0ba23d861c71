/** Oracle text forms → PostgreSQL COPY text (pure); the same forms go through real COPY in oracle-snapshot.test. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyLine, plainDecimal, toCopyText, ValueCodecError } from '../../src/adapters/oracle/value-codec.js';

test('NUMBER: every decimal and exponent form becomes a plain exact decimal', () => {
  const cases: [string, string][] = [
    ['.5', '0.5'], ['-.5', '-0.5'], ['-0', '0'], ['0.000', '0'], ['00012', '12'], ['1.5E+3', '1500'], ['1.2e-5', '0.000012'],
    ['-1.5E+30', '-1500000000000000000000000000000'], ['12345678901234567890123456789012345678', '12345678901234567890123456789012345678'],
    ['9.99999999999999999999999999999999999999E+125', '999999999999999999999999999999999999999' + '0'.repeat(87)], ['1E-130', '0.' + '0'.repeat(129) + '1'],
  ];
  for (const [oracle, pg] of cases) assert.equal(plainDecimal(oracle), pg, oracle);
  for (const bad of ['', '.', 'abc', '1.2.3', '1e']) assert.throws(() => plainDecimal(bad), ValueCodecError, bad);
});

test('BINARY_FLOAT/DOUBLE: Oracle and JavaScript spellings of NaN and infinities', () => {
  assert.deepEqual(['Nan', '~', 'Inf', '-Inf', 'Infinity', '-~', '1.17549E-038'].map((v) => toCopyText('float', v)), ['NaN', 'NaN', 'Infinity', '-Infinity', 'Infinity', '-Infinity', '1.17549E-038']);
});

test('dates and timestamps: BC years, fractions cut (not rounded) to microseconds, zoned values in UTC', () => {
  assert.equal(toCopyText('date', ' 2020-12-31 23:59:59'), '2020-12-31 23:59:59');
  assert.equal(toCopyText('date', '-4712-01-01 00:00:00'), '4712-01-01 00:00:00 BC');
  assert.equal(toCopyText('timestamp', ' 9999-12-31 23:59:59.999999999'), '9999-12-31 23:59:59.999999');
  assert.equal(toCopyText('timestamp', ' 2000-01-01 00:00:00.000000000'), '2000-01-01 00:00:00');
  assert.equal(toCopyText('timestamptz', ' 2020-10-25 00:30:00.120000000'), '2020-10-25 00:30:00.12+00');
  assert.throws(() => toCopyText('date', '31-DEC-20'), ValueCodecError);
});

test('intervals: Oracle +YY-MM and +DD HH:MI:SS.FF', () => {
  assert.equal(toCopyText('interval-ym', '-01-05'), '-1 years -5 mons');
  assert.equal(toCopyText('interval-ym', '+00-05'), '0 years 5 mons');
  assert.equal(toCopyText('interval-ds', '-00 00:26:00.000000000'), '-0 days -00:26:00');
  assert.equal(toCopyText('interval-ds', '+24 23:34:05.878667999'), '24 days 23:34:05.878667');
});

test("bytes, uuids, text escaping, '' as NULL and CHR(0) refused", () => {
  assert.equal(toCopyText('binary', 'FFff00'), '\\\\xffff00');
  assert.throws(() => toCopyText('binary', 'xyz'), ValueCodecError);
  assert.equal(toCopyText('uuid', '0123456789ABCDEF0123456789ABCDEF'), '01234567-89ab-cdef-0123-456789abcdef');
  assert.throws(() => toCopyText('uuid', 'ffff'), /16/);
  assert.equal(toCopyText('text', 'a\tb\nc\\d\re'), 'a\\tb\\nc\\\\d\\re');
  assert.equal(toCopyText('text', ''), '\\N');
  assert.equal(toCopyText('number', null), '\\N');
  assert.throws(() => toCopyText('text', 'a\u0000b'), /CHR\(0\)/);
  assert.equal(copyLine(['number', 'text'], ['1', null]), '1\t\\N\n');
});
