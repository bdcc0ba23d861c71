import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonLineBuffer } from '../../src/core/json-line.js';

test('integer() writes the same digits as String()', () => {
  const values = [0, 1, 9, 10, 99, 100, 101, 999_999, 1_000_000, 123_456_789, 2 ** 32, 2 ** 53 - 1];
  const b = new JsonLineBuffer(4);
  for (const n of values) {
    b.integer(n);
    b.text(' ');
  }
  assert.equal(b.view().toString(), values.map(String).join(' ') + ' ');
});

test('jsonString() escapes exactly like JSON.stringify, short and long values, every ASCII byte', () => {
  const b = new JsonLineBuffer(8);
  const samples: string[] = [''];
  for (let c = 0; c < 128; c++) samples.push(String.fromCharCode(c), `a${String.fromCharCode(c)}b`.repeat(30));
  samples.push('€😀é', 'plain text longer than forty-eight bytes, copied in one piece by Buffer.copy');
  for (const s of samples) {
    b.clear();
    const bytes = Buffer.from(`xx${s}yy`);
    b.jsonString(bytes, 2, bytes.length - 2);
    assert.equal(b.view().toString(), JSON.stringify(s));
  }
});
