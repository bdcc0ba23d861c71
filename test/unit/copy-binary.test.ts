import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BINARY_HEADER, binaryHeaderLength, BinaryTupleScanner } from '../../src/core/copy-binary.js';

/** One binary COPY tuple: null for a NULL field, else the field's bytes. */
function tuple(fields: (Buffer | null)[]): Buffer {
  const parts: Buffer[] = [Buffer.from([fields.length >> 8, fields.length & 0xff])];
  for (const f of fields) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(f === null ? -1 : f.length);
    parts.push(len);
    if (f) parts.push(f);
  }
  return Buffer.concat(parts);
}

/** Tuples of many shapes: NULLs, empty values, long values, no fields at all, bytes that look like lengths. */
const TUPLES = [
  tuple([Buffer.from('abc'), null, Buffer.alloc(0)]),
  tuple([]),
  tuple([Buffer.alloc(70_000, 0xff)]),
  tuple([null, null]),
  tuple([Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([0, 0, 0, 9])]),
  ...Array.from({ length: 50 }, (_, i) => tuple([Buffer.from(String(i)), Buffer.alloc(i * 7, i)])),
];
const DATA = Buffer.concat(TUPLES);
const ENDS = TUPLES.reduce<number[]>((ends, t) => [...ends, (ends.at(-1) ?? 0) + t.length], []);

/** Feed DATA in pieces cut at `cuts`, asking for `rows` tuples at a time: the tuple ends found. */
function endsFound(cuts: number[], rows: number): number[] {
  const s = new BinaryTupleScanner();
  const found: number[] = [];
  let at = 0;
  for (const [from, to] of [0, ...cuts, DATA.length].map((c, i, a) => [c, a[i + 1]]).slice(0, -1)) {
    let start = 0;
    const piece = DATA.subarray(from, to);
    for (;;) {
      const r = s.scan(piece, start, rows);
      if (r.end < 0) break;
      found.push(from + r.end);
      start = r.end;
      if (start === piece.length) break;
    }
    at = to;
  }
  assert.equal(at, DATA.length);
  assert.ok(s.atBoundary, 'the scan ends between tuples');
  return found;
}

test('binary tuples are found whole, wherever the pieces are cut (inside counts, lengths and values too)', () => {
  // Every tuple end, asking one at a time, with one cut at every position of the first 200 bytes and near the big value.
  const positions = [...Array.from({ length: 200 }, (_, i) => i + 1), ...Array.from({ length: 40 }, (_, i) => ENDS[1] + i), ENDS[2] - 3, ENDS[2] + 1];
  for (const cut of positions) assert.deepEqual(endsFound([cut], 1), ENDS, `cut at ${cut}`);
  // Pieces of 1 to 13 bytes; several tuples per request.
  const small: number[] = [];
  for (let p = 0, k = 0; p < DATA.length; k++) small.push((p += 1 + (k % 13)));
  small.pop();
  assert.deepEqual(endsFound(small, 1), ENDS);
  const every7 = endsFound([], 7);
  assert.deepEqual(every7, ENDS.filter((_, i) => (i + 1) % 7 === 0));
});

test('the header is recognised with its extension; other bytes are not a header; a trailer inside the data is refused', () => {
  assert.equal(binaryHeaderLength(BINARY_HEADER), 19);
  const ext = Buffer.concat([BINARY_HEADER.subarray(0, 15), Buffer.from([0, 0, 0, 4]), Buffer.from('abcd')]);
  assert.equal(binaryHeaderLength(ext), 23);
  assert.equal(binaryHeaderLength(Buffer.from('1\tabc\n2\tdef\n3\tghi\n')), undefined);
  assert.equal(binaryHeaderLength(BINARY_HEADER.subarray(0, 10)), undefined);
  assert.throws(() => new BinaryTupleScanner().scan(Buffer.concat([TUPLES[0], Buffer.from([0xff, 0xff])]), 0, 5), /trailer/);
});
