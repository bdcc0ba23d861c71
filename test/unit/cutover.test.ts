import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_CUTOVER, markFallBackReady, markStep, requestCutoverToSource, requestCutoverToTarget, statusOf } from '../../src/core/cutover.js';
import { renderCutoverTable } from '../../src/cli/render/cutover-table.js';

const now = '2026-11-22T10:00:00.000Z';

test('cutover to target without fall-back completes after exporter and importer steps', () => {
  let s = requestCutoverToTarget(EMPTY_CUTOVER, false, now).state;
  assert.equal(statusOf(s, 'toTarget'), 'INITIATED');
  s = markStep(s, 'toTarget', { exporterDone: true }, now);
  assert.equal(statusOf(s, 'toTarget'), 'INITIATED');
  s = markStep(s, 'toTarget', { importerDone: true }, now);
  assert.equal(statusOf(s, 'toTarget'), 'COMPLETED');
  assert.equal(s.toTarget.completedAt, now);
  assert.equal(statusOf(s, 'toSource'), 'NOT_INITIATED');
});

test('with fall-back, cutover to target completes only once the target stream is ready', () => {
  let s = requestCutoverToTarget(EMPTY_CUTOVER, true, now).state;
  s = markStep(markStep(s, 'toTarget', { exporterDone: true }, now), 'toTarget', { importerDone: true }, now);
  assert.equal(statusOf(s, 'toTarget'), 'INITIATED');
  s = markFallBackReady(s, now);
  assert.equal(statusOf(s, 'toTarget'), 'COMPLETED');
});

test('a repeated request changes nothing and cannot flip --prepare-for-fall-back', () => {
  const first = requestCutoverToTarget(EMPTY_CUTOVER, true, now);
  const again = requestCutoverToTarget(first.state, true, '2026-11-22T11:00:00Z');
  assert.equal(again.changed, false);
  assert.equal(again.state.toTarget.requestedAt, now);
  const flipped = requestCutoverToTarget(first.state, false, now);
  assert.equal(flipped.changed, false);
  assert.match(flipped.message, /cannot be changed/);
});

test('cutover to source is refused before cutover to target completed with fall-back', () => {
  assert.ok('error' in requestCutoverToSource(EMPTY_CUTOVER, now));
  const noFallBack = markStep(markStep(requestCutoverToTarget(EMPTY_CUTOVER, false, now).state, 'toTarget', { exporterDone: true }, now), 'toTarget', { importerDone: true }, now);
  assert.ok('error' in requestCutoverToSource(noFallBack, now));
  let s = requestCutoverToTarget(EMPTY_CUTOVER, true, now).state;
  s = markStep(s, 'toTarget', { exporterDone: true, importerDone: true }, now);
  assert.ok('error' in requestCutoverToSource(s, now), 'fall-back stream not ready yet');
  s = markFallBackReady(s, now);
  const r = requestCutoverToSource(s, now);
  assert.ok(!('error' in r) && r.changed);
  if (!('error' in r)) assert.equal(statusOf(r.state, 'toSource'), 'INITIATED');
});

test('status table has the shape scripts parse', () => {
  const s = requestCutoverToTarget(EMPTY_CUTOVER, true, now).state;
  const lines = renderCutoverTable(s).split('\n');
  assert.match(lines[0], /^CUTOVER DIRECTION \| STATUS +\| REQUESTED AT$/);
  assert.equal(lines[1].split('|')[1].trim(), 'INITIATED');
  assert.equal(lines[1].split('|')[2].trim(), '2026-11-22 10:00:00 UTC');
  assert.equal(lines[2].split('|')[0].trim(), 'target → source');
  assert.equal(lines[2].split('|')[1].trim(), 'NOT_INITIATED');
});
