import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMetricsTable } from '../../src/cli/render/metrics-table.js';
import { CounterSeries, formatDuration, ImportProgress, importMetricRows } from '../../src/core/import-metrics.js';

const T0 = 1_700_000_000_000;
const s = (seconds: number) => T0 + seconds * 1000;

test('the table has the reference layout, byte for byte', () => {
  const text = renderMetricsTable([
    ['Total Imported events', '272572'],
    ['Events Imported in this Run', '272572'],
    ['Ingestion Rate (last 3 mins)', '14542 events/sec'],
    ['Ingestion Rate (last 10 mins)', '14542 events/sec'],
    ['Time taken in this Run', '0.83 mins'],
    ['Remaining Events', '4727427'],
    ['Estimated Time to catch up', '5m42s'],
  ]);
  assert.equal(text, [
    '| -----------------------------  |  ----------------------------- |',
    '| Metric                         |                          Value |',
    '| -----------------------------  |  ----------------------------- |',
    '| Total Imported events          |                         272572 |',
    '| Events Imported in this Run    |                         272572 |',
    '| Ingestion Rate (last 3 mins)   |               14542 events/sec |',
    '| Ingestion Rate (last 10 mins)  |               14542 events/sec |',
    '| Time taken in this Run         |                      0.83 mins |',
    '| Remaining Events               |                        4727427 |',
    '| Estimated Time to catch up     |                          5m42s |',
    '| -----------------------------  |  ----------------------------- |',
  ].join('\n'));
  // The export table's wider first column.
  assert.equal(renderMetricsTable([['Total Exported Events', '123456']], { nameCell: 42 }).split('\n')[1], '| Metric                                   |                          Value |');
});

test('durations print like Go: 0s, 45s, 5m42s, 1h0m7s', () => {
  assert.deepEqual([0, 0.4, 45, 342, 3607, 90061].map(formatDuration), ['0s', '0s', '45s', '5m42s', '1h0m7s', '25h1m1s']);
});

test('rates over sliding windows: exact per-second samples, and runs younger than the window', () => {
  const c = new CounterSeries(s(0), 0);
  for (let t = 1; t <= 600; t++) c.record(s(t), t <= 300 ? t * 100 : 30_000 + (t - 300) * 10);
  // Last 60 s: 10 events/s. Last 3 min (420..600): 10/s. Last 10 min: 33_000 / 600.
  assert.equal(c.rate(s(600), 60_000), 10);
  assert.equal(c.rate(s(600), 180_000), 10);
  assert.equal(c.rate(s(600), 600_000), 33_000 / 600);
  const young = new CounterSeries(s(0), 5_000);
  young.record(s(20), 7_000);
  // 20 s into the run, a 3-minute window is the run so far.
  assert.equal(young.rate(s(20), 180_000), 100);
  // Several samples in one second are one sample (memory stays bounded, the rate stays exact).
  const dense = new CounterSeries(s(0), 0);
  for (let i = 1; i <= 1000; i++) dense.record(T0 + i * 10, i);
  assert.equal(dense.rate(T0 + 10_000, 60_000), 100);
});

test('Remaining Events and Estimated Time to catch up count what keeps arriving', () => {
  // 1000 events in the target before this run; 51_000 exported in all when the run starts.
  const p = new ImportProgress(s(0), 1_000, 51_000);
  // Over 60 s the importer applies 1000 events/s while the exporter adds 200/s.
  for (let t = 1; t <= 60; t++) {
    p.recordImported(s(t), 1_000 + t * 1_000);
    p.recordExported(s(t), 51_000 + t * 200);
  }
  const m = p.metrics(s(60));
  assert.equal(m.totalImported, 61_000);
  assert.equal(m.runImported, 60_000);
  assert.equal(m.remaining, 51_000 + 12_000 - 61_000);
  assert.equal(m.rate3m, 1_000);
  assert.equal(m.rate10m, 1_000);
  // The backlog shrinks by 1000 − 200 = 800 events/s: 2000 / 800 = 2.5 s.
  assert.equal(m.etaSeconds, 2.5);
  const rows = Object.fromEntries(importMetricRows(m));
  assert.deepEqual(rows, {
    'Total Imported events': '61000',
    'Events Imported in this Run': '60000',
    'Ingestion Rate (last 3 mins)': '1000 events/sec',
    'Ingestion Rate (last 10 mins)': '1000 events/sec',
    'Time taken in this Run': '1.00 mins',
    'Remaining Events': '2000',
    'Estimated Time to catch up': '3s',
  });
});

test('caught up, falling behind, and nothing measured yet', () => {
  const caught = new ImportProgress(s(0), 0, 100);
  caught.recordImported(s(5), 100);
  assert.equal(caught.metrics(s(5)).etaSeconds, 0);
  assert.equal(Object.fromEntries(importMetricRows(caught.metrics(s(5))))['Estimated Time to catch up'], '0s');

  const behind = new ImportProgress(s(0), 0, 0);
  for (let t = 1; t <= 60; t++) {
    behind.recordImported(s(t), t * 100);
    behind.recordExported(s(t), t * 150);
  }
  assert.equal(behind.metrics(s(60)).remaining, 3_000);
  assert.equal(Object.fromEntries(importMetricRows(behind.metrics(s(60))))['Estimated Time to catch up'], 'not catching up');

  const fresh = new ImportProgress(s(0), 0, 500);
  assert.equal(Object.fromEntries(importMetricRows(fresh.metrics(s(0))))['Estimated Time to catch up'], '-');
  assert.equal(Object.fromEntries(importMetricRows(fresh.metrics(s(0))))['Remaining Events'], '500');
});
