import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyErrorColumn, copyErrorLine, countRows, findRowsEnd } from '../../src/core/copy-text.js';
import { ctidPredicate, planCtidRanges } from '../../src/adapters/postgres/ctid-ranges.js';
import { dataFileName, parseDataFileName } from '../../src/core/snapshot-plan.js';

test('ctid ranges cover every block once, the last one open-ended', () => {
  assert.deepEqual(planCtidRanges(0, 10), [{ fromBlock: 0, toBlock: null }]);
  assert.deepEqual(planCtidRanges(10, 10), [{ fromBlock: 0, toBlock: null }]);
  const r = planCtidRanges(25, 10);
  assert.deepEqual(r, [{ fromBlock: 0, toBlock: 10 }, { fromBlock: 10, toBlock: 20 }, { fromBlock: 20, toBlock: null }]);
  assert.equal(ctidPredicate(r[0]), "ctid >= '(0,0)'::tid AND ctid < '(10,0)'::tid");
  assert.equal(ctidPredicate(r[2]), "ctid >= '(20,0)'::tid");
  assert.equal(ctidPredicate({ fromBlock: 0, toBlock: null }), '');
});

test('data file names: readable, distinct for names that look alike, carry the generation', () => {
  const a = dataFileName(3, { schema: 'public', table: 'My Table' }, undefined, 7);
  const b = dataFileName(3, { schema: 'public', table: 'my_table' }, undefined, 7);
  assert.match(a, /^public\.My_Table-[0-9a-f]{8}\.0007\.g3\.copy$/);
  assert.notEqual(a, b);
  const leaf = dataFileName(1, { schema: 's', table: 'parted' }, { schema: 's', table: 'parted_eu' }, 0);
  assert.match(leaf, /^s\.parted\.parted_eu-/);
  assert.ok(!/[/\\]/.test(dataFileName(1, { schema: '../x', table: 'a/b\\c' }, undefined, 0)), 'no path separators');
  assert.deepEqual(parseDataFileName(a), { generation: 3, temporary: false });
  assert.deepEqual(parseDataFileName(`${a}.tmp`), { generation: 3, temporary: true });
  assert.equal(parseDataFileName('segment.1.ndjson'), undefined);
});

test('COPY text rows are counted and cut at newline bytes only', () => {
  const buf = Buffer.from('1\ta\\nb\n2\t\\N\n3\tc\n');
  assert.equal(countRows(buf), 3);
  assert.equal(countRows(buf, 0, 5), 0);
  assert.deepEqual(findRowsEnd(buf, 0, 2), { end: 12, found: 2 });
  assert.deepEqual(findRowsEnd(buf, 12, 5), { end: -1, found: 1 });
  assert.equal(buf.subarray(0, 12).toString(), '1\ta\\nb\n2\t\\N\n');
});

test('COPY error context: line and column', () => {
  const where = 'COPY items, line 17, column qty: "abc"';
  assert.equal(copyErrorLine(where), 17);
  assert.equal(copyErrorColumn(where), 'qty');
  assert.equal(copyErrorLine('COPY items, line 3'), 3);
  assert.equal(copyErrorColumn('COPY items, line 3'), undefined);
  assert.equal(copyErrorLine(undefined), undefined);
});
