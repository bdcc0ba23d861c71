import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textArray } from '../../src/adapters/postgres/change-sql.js';

/** Reads PostgreSQL's binary array format back (what array_recv does), element by element. */
function readTextArray(b: Buffer): { hasNull: number; elementType: number; values: (string | null)[]; bytes: number } {
  assert.equal(b.readInt32BE(0), 1, 'one dimension');
  const count = b.readInt32BE(12);
  assert.equal(b.readInt32BE(16), 1, 'lower bound 1');
  const values: (string | null)[] = [];
  let at = 20;
  for (let i = 0; i < count; i++) {
    const n = b.readInt32BE(at);
    at += 4;
    if (n < 0) values.push(null);
    else {
      values.push(b.toString('utf8', at, at + n));
      at += n;
    }
  }
  return { hasNull: b.readInt32BE(4), elementType: b.readUInt32BE(8), values, bytes: at };
}

test('textArray: short ASCII, multi-byte at any place, values around the short-value limit, NULLs; the buffer ends where the last element does', () => {
  const values = [
    '12345.6789', '', null, '2026-12-06 19:32:19.123+00', 'é', 'abcé', 'é'.repeat(64), 'x'.repeat(63) + '€', 'y'.repeat(64), 'z'.repeat(65),
    'ab😀', '😀'.repeat(40), 'q'.repeat(70_000) + 'é', 'tab\tnew\nline "quote" \\ {brace}', undefined,
  ];
  const b = textArray(values);
  const r = readTextArray(b);
  assert.equal(r.elementType, 25, 'text');
  assert.equal(r.hasNull, 1);
  assert.deepEqual(r.values, values.map((v) => v ?? null));
  assert.equal(r.bytes, b.length, 'no bytes past the last element');
});

test('textArray: no NULL flag without NULLs; an empty array is the header alone', () => {
  assert.equal(readTextArray(textArray(['a', 'b'])).hasNull, 0);
  const empty = textArray([]);
  assert.equal(empty.length, 20);
  assert.deepEqual(readTextArray(empty).values, []);
});
