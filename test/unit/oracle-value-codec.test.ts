/** Oracle text forms → PostgreSQL COPY text (pure); the same forms go through real COPY in oracle-snapshot.test. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lobPieces } from '../../src/adapters/oracle/replay-runner.js';
import { LobCopyEncoder, plainDecimal, toCopyText, ValueCodecError } from '../../src/adapters/oracle/value-codec.js';

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
});

describe('LobCopyEncoder: a LOB streamed piece by piece equals the value encoded whole', () => {
  const emoji = '\u{1F600}';
  const text = `a\\b\tc\nd\re ü 日 ${emoji} \\\\ end`;
  const encode = (kind: 'text' | 'binary', pieces: (string | Uint8Array)[]) => {
    const enc = new LobCopyEncoder(kind);
    return pieces.map((p) => enc.piece(p)).join('') + enc.end();
  };

  test('text split at every UTF-16 position and at every UTF-8 byte, in two pieces or one unit a piece', () => {
    const whole = toCopyText('text', text);
    const bytes = Buffer.from(text, 'utf8');
    for (let at = 0; at <= text.length; at++) assert.equal(encode('text', [text.slice(0, at), text.slice(at)]), whole, `split at code unit ${at}`);
    for (let at = 0; at <= bytes.length; at++) assert.equal(encode('text', [bytes.subarray(0, at), bytes.subarray(at)]), whole, `split at byte ${at}`);
    assert.equal(encode('text', [...text.split('')]), whole, 'one code unit a piece');
    assert.equal(encode('text', [...bytes].map((b) => Uint8Array.of(b))), whole, 'one byte a piece');
  });

  test('binary pieces become one bytea hex field; an empty LOB is empty, not NULL', () => {
    const bytes = Buffer.from('005cff0a09', 'hex');
    for (let at = 0; at <= bytes.length; at++) assert.equal(encode('binary', [bytes.subarray(0, at), bytes.subarray(at)]), toCopyText('binary', '005cff0a09'));
    assert.equal(encode('binary', []), '\\\\x');
    assert.equal(encode('text', []), '');
    assert.throws(() => encode('binary', ['00']), ValueCodecError);
  });

  test('CHR(0) in any piece is refused; a CLOB whose bytes end inside a character is refused', () => {
    assert.throws(() => encode('text', ['fine', 'nul\u0000']), /CHR\(0\)/);
    assert.throws(() => encode('text', [Buffer.from('ab'), Buffer.from('日').subarray(0, 2)]), /ends inside a UTF-8 character/);
  });
});

describe('replay fixture LOB generator', () => {
  test('pieces of pieceSize that concatenate to size units of the repeated pattern', () => {
    const pieces = [...lobPieces({ lob: 'clob', size: 23, pattern: 'abc', pieceSize: 5 })];
    assert.deepEqual(pieces.map((p) => p.length), [5, 5, 5, 5, 3]);
    assert.equal(pieces.join(''), 'abc'.repeat(8).slice(0, 23));
    const bin = [...lobPieces({ lob: 'blob', size: 10, pattern: '0102ff', pieceSize: 4 })];
    assert.equal(Buffer.concat(bin as Uint8Array[]).toString('hex'), '0102ff'.repeat(4).slice(0, 20));
  });
});
