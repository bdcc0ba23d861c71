/**
 * Snapshot export progress: measured by chunks weighed by relation bytes, so a missing or stale row estimate
 * can neither hold a bar at 0 nor show 100% before the table is done.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkedTableProgress, IN_FLIGHT_CAP } from '../../src/core/export-progress.js';
import { fractionOf, rowsText } from '../../src/cli/render/table-progress.js';

const MB = 1024 * 1024;

/** A 2M-row table of 4 chunks of 80 MB; COPY text is ~40 bytes a row, about half the relation bytes. */
function bigTable(estimatedRows: number): ChunkedTableProgress {
  return new ChunkedTableProgress([80 * MB, 80 * MB, 80 * MB, 80 * MB], estimatedRows);
}
const ROWS_PER_CHUNK = 500_000;
const TEXT_PER_ROW = 84; // 500k rows × 84 B ≈ 40 MB of text per 80 MB chunk

/** Read `rows` rows of `chunk` in reports of 10k rows, checking the bar after each. */
function readRows(p: ChunkedTableProgress, chunk: number, rows: number, check: (fraction: number) => void): void {
  for (let done = 0; done < rows; done += 10_000) {
    p.read(chunk, 10_000, 10_000 * TEXT_PER_ROW);
    check(p.measure().fraction);
  }
}

describe('estimates missing (a table never analyzed)', () => {
  test('the bar moves while the first chunk is read, and never reaches 1 before every chunk is done', () => {
    const p = bigTable(0);
    assert.equal(p.measure().fraction, 0);
    assert.equal(p.measure().expectedRows, undefined, 'nothing to say about the rows before anything was read');
    let last = 0;
    for (let c = 0; c < 4; c++) {
      readRows(p, c, ROWS_PER_CHUNK, (f) => {
        assert.ok(f >= last, `never goes back: ${f} after ${last}`);
        assert.ok(f < 1, `not done yet: ${f}`);
        last = f;
      });
      p.chunkDone(c, ROWS_PER_CHUNK, ROWS_PER_CHUNK * TEXT_PER_ROW);
      const m = p.measure();
      if (c < 3) assert.equal(m.fraction, (c + 1) / 4, 'a finished chunk counts its weight exactly');
      last = m.fraction;
    }
    assert.deepEqual(p.measure(), { rows: 2_000_000, fraction: 1, expectedRows: 2_000_000 });
    assert.ok(p.done);
  });
  test('after one chunk, the rows are extrapolated from what was measured', () => {
    const p = bigTable(0);
    p.chunkDone(0, ROWS_PER_CHUNK, ROWS_PER_CHUNK * TEXT_PER_ROW);
    assert.equal(p.measure().expectedRows, 2_000_000);
  });
  test('an engine that reports no bytes still shows chunk completion', () => {
    const p = new ChunkedTableProgress([MB, MB], 0);
    p.read(0, 1000);
    assert.equal(p.measure().fraction, 0, 'rows alone, with no estimate and no finished chunk, say nothing');
    p.chunkDone(0, 1000, 0);
    p.read(1, 500);
    assert.equal(p.measure().fraction, 0.75, 'rows of the next chunk at the density of the finished one');
  });
});

describe('estimates stale (the planner says 528767 rows, the table has 2M)', () => {
  test('the fraction ignores the estimate, and the expected rows drop it once the rows pass it', () => {
    const p = bigTable(528_767);
    assert.equal(p.measure().expectedRows, 528_767, 'before anything is read, the estimate is all there is');
    readRows(p, 0, ROWS_PER_CHUNK, () => undefined);
    p.chunkDone(0, ROWS_PER_CHUNK, ROWS_PER_CHUNK * TEXT_PER_ROW);
    readRows(p, 1, 100_000, () => undefined);
    const m = p.measure();
    assert.equal(m.rows, 600_000);
    assert.ok(m.fraction > 0.29 && m.fraction < 0.31, `600k of 2M rows is 30%, got ${m.fraction}`);
    assert.ok(m.expectedRows! > 1_900_000 && m.expectedRows! < 2_100_000, `extrapolated: ${m.expectedRows}`);
  });
  test('a chunk being read never counts as finished, even when its text outgrows the relation bytes', () => {
    const p = new ChunkedTableProgress([MB], 10);
    p.read(0, 1_000_000, 10 * MB);
    assert.equal(p.measure().fraction, IN_FLIGHT_CAP);
    assert.equal(p.done, false);
  });
  test('a chunk copied again after a lost session starts from 0, a finished one stays finished', () => {
    const p = new ChunkedTableProgress([MB, MB], 0);
    p.chunkDone(0, 100, MB);
    p.read(1, 50, MB / 2);
    assert.equal(p.measure().fraction, 0.75);
    p.restart(1);
    assert.equal(p.measure().fraction, 0.5);
    assert.equal(p.measure().rows, 100);
  });
});

describe('estimates exact', () => {
  test('with no bytes reported, rows against the estimate give the fraction', () => {
    const p = new ChunkedTableProgress([4 * MB], 1000);
    p.read(0, 250);
    assert.equal(p.measure().fraction, 0.25);
    assert.equal(p.measure().expectedRows, 1000);
  });
  test('a table planned as empty chunks is measured by chunk completion', () => {
    const p = new ChunkedTableProgress([0, 0, 0, 0], 0);
    p.chunkDone(0, 3, 10);
    assert.equal(p.measure().fraction, 0.25);
  });
  test('a table without chunks (an empty partitioned table) is done at once', () => {
    assert.deepEqual(new ChunkedTableProgress([], 0).measure(), { rows: 0, fraction: 1, expectedRows: 0 });
  });
  test('an unknown chunk is a bug, not a silent no-op', () => {
    assert.throws(() => new ChunkedTableProgress([MB], 0).read(3, 1), RangeError);
  });
});

describe('the bar', () => {
  test('below 100% until finished, whatever the totals say', () => {
    assert.equal(fractionOf({ rows: 528_767, total: 528_767, finished: false }), 0.99);
    assert.equal(fractionOf({ rows: 900, total: 100, finished: false }), 0.99);
    assert.equal(fractionOf({ rows: 5, total: 0, finished: false }), 0);
    assert.equal(fractionOf({ rows: 5, total: 0, finished: true }), 1);
    assert.equal(fractionOf({ rows: 5, total: 1000, measured: 0.4, finished: false }), 0.4);
  });
  test('rows: exact, against a known total, or against an estimate', () => {
    assert.equal(rowsText({ rows: 7, total: 7, finished: true }), '7 rows');
    assert.equal(rowsText({ rows: 7, total: 0, finished: false }), '7 rows');
    assert.equal(rowsText({ rows: 7, total: 10, finished: false }), '7/10 rows');
    assert.equal(rowsText({ rows: 7, total: 20, measured: 0.35, finished: false }), '7 of ~20 rows');
  });
});
