/**
 * The migration report's pure parts: each direction's history from the 10-second buckets (rates, lag, backlog),
 * its reduction to chart points, the SVG charts and the self-contained HTML page.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chartPoints, directionHistory } from '../../src/core/migration-history.js';
import { ImportBucketAccumulator } from '../../src/export-dir/metrics-history.js';
import { renderMigrationReportHtml } from '../../src/cli/render/migration-report-html.js';
import { niceTicks, timeChartSvg } from '../../src/cli/render/svg-chart.js';
import type { MigrationReport } from '../../src/workflows/migration-report.js';

const T0 = 1_800_000_000; // a multiple of 10: a bucket's start

describe('direction history', () => {
  test('buckets merge by time; the backlog is what was exported and not yet applied', () => {
    const h = directionHistory(
      [{ bucket: T0, events: 100 }, { bucket: T0 + 10, events: 50 }, { bucket: T0 + 30, events: 10 }],
      [
        { bucket: T0 + 10, events: 120, commits: 4, lagMsSum: 400, lagMsMax: 250 },
        { bucket: T0 + 20, events: 30, commits: 0, lagMsSum: 0, lagMsMax: 0 },
        { bucket: T0 + 30, events: 10, commits: 2, lagMsSum: 60, lagMsMax: 40 },
      ],
      10,
    );
    assert.deepEqual(h.map((p) => [p.t - T0, p.exported, p.imported, p.backlog, p.lagMsAvg, p.lagMsMax]), [
      [0, 100, 0, 100, undefined, undefined],
      [10, 50, 120, 30, 100, 250],
      [20, 0, 30, 0, undefined, undefined],
      [30, 10, 10, 0, 30, 40],
    ]);
  });
  test('nothing recorded: no points', () => {
    assert.deepEqual(directionHistory([], [], 10), []);
  });
});

describe('import history accumulator', () => {
  test('events and lag per 10-second bucket; unknown or future commit times do not make a lag', () => {
    const acc = new ImportBucketAccumulator();
    const ms = (s: number) => (T0 + s) * 1000;
    acc.add(ms(1), 10, new Date(ms(1) - 40).toISOString());
    acc.add(ms(3), 5, new Date(ms(3) - 100).toISOString());
    acc.add(ms(4), 2, undefined);
    acc.add(ms(12), 7, new Date(ms(12) + 5000).toISOString()); // a source clock ahead of ours
    assert.deepEqual(acc.take(), [
      { bucket: T0, events: 17, commits: 2, lagMsSum: 140, lagMsMax: 100 },
      { bucket: T0 + 10, events: 7, commits: 1, lagMsSum: 0, lagMsMax: 0 },
    ]);
    assert.deepEqual(acc.take(), [], 'taken once');
  });
});

describe('chart points', () => {
  const h = directionHistory(
    [{ bucket: T0, events: 10 }, { bucket: T0 + 50, events: 30 }],
    [{ bucket: T0 + 10, events: 5, commits: 1, lagMsSum: 20, lagMsMax: 20 }, { bucket: T0 + 50, events: 5, commits: 1, lagMsSum: 80, lagMsMax: 80 }],
    10,
  );
  test('quiet buckets become zeros, so the chart shows the pause', () => {
    const c = chartPoints(h, 10, 100);
    assert.deepEqual(c.map((p) => [p.t - T0, p.exported, p.imported, p.backlog]), [
      [0, 10, 0, 10], [10, 0, 5, 5], [20, 0, 0, 5], [30, 0, 0, 5], [40, 0, 0, 5], [50, 30, 5, 30],
    ]);
  });
  test('too many buckets merge: events add up, lag keeps its maximum, backlog its last value', () => {
    const c = chartPoints(h, 10, 2);
    assert.equal(c.length, 2);
    assert.deepEqual(c.map((p) => [p.t - T0, p.seconds, p.exported, p.imported, p.backlog, p.lagMsMax]), [
      [0, 30, 10, 5, 5, 20],
      [30, 30, 30, 5, 30, 80],
    ]);
  });
});

describe('svg chart', () => {
  test('round y ticks reaching the maximum', () => {
    assert.deepEqual(niceTicks(0), [0, 1]);
    assert.deepEqual(niceTicks(9), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(niceTicks(1234), [0, 250, 500, 750, 1000, 1250]);
  });
  test('one path per series carrying its values, one circle per present value, gaps break the path', () => {
    const svg = timeChartSvg({
      id: 'c', title: 'Lag', unit: 'ms', times: [T0, T0 + 10, T0 + 20],
      series: [{ name: 'mean lag', color: '#123456', values: [5, undefined, 7] }],
      marks: [{ t: T0 + 10, label: 'cutover <to> target' }],
    });
    assert.match(svg, /<g class="series" data-series="mean lag"><path d="M[\d.,]+M[\d.,]+" [^>]*data-values="5,,7"\/>/);
    assert.equal((svg.match(/<circle /g) ?? []).length, 2);
    assert.match(svg, /cutover &lt;to&gt; target/);
    assert.ok(!svg.includes('<to>'));
  });
  test('an empty chart says so', () => {
    assert.match(timeChartSvg({ id: 'e', title: 'Backlog', unit: 'events', times: [], series: [] }), /nothing recorded yet/);
  });
});

function report(): MigrationReport {
  return {
    generated_at: '2027-01-15T08:00:30.000Z', migration_uuid: 'u-1', export_type: 'snapshot-and-changes',
    snapshot: { started_at: '2027-01-15T08:00:00.000Z', completed_at: '2027-01-15T08:00:05.000Z' },
    tables: [
      { table_name: '"public"."<script>alert(1)</script>"', db_type: 'source', exported_snapshot_rows: 1500, imported_snapshot_rows: 0, errored_imported_snapshot_rows: 0, exported_inserts: 7, exported_updates: 2, exported_deletes: 1, imported_inserts: 0, imported_updates: 0, imported_deletes: 0, final_row_count: 1506 },
    ],
    directions: [{
      direction: 'source → target', exporter_role: 'source_db_exporter', exported_events: 10, imported_events: 10, backlog: 0, bucket_seconds: 10,
      history: [
        { time: '2027-01-15T08:00:10.000Z', exported_events: 6, imported_events: 4, lag_ms_avg: 30, lag_ms_max: 50, backlog: 2 },
        { time: '2027-01-15T08:00:20.000Z', exported_events: 4, imported_events: 6, lag_ms_avg: 20, lag_ms_max: 25, backlog: 0 },
      ],
    }],
    cutover: { prepare_for_fall_back: true, to_target: { status: 'COMPLETED', requested_at: '2027-01-15T08:00:15.000Z', completed_at: '2027-01-15T08:00:18.000Z' }, to_source: { status: 'NOT_INITIATED' } },
    verify_runs: [{ startedAt: '2027-01-15T08:00:19.000Z', finishedAt: '2027-01-15T08:00:20.000Z', identical: true, live: true, phase: 'after cutover to target', tables: [{ schema: 'public', table: 't', verdict: 'identical', sourceRows: 1506, targetRows: 1506, differenceCount: 0 }] }],
  };
}

describe('html page', () => {
  const html = renderMigrationReportHtml(report());
  test('self-contained: no script, no external resource', () => {
    assert.ok(!/<script/i.test(html), 'no script element (the hostile table name is escaped)');
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.ok(!/(src|href)=["']?(https?:)?\/\//i.test(html), 'nothing loaded from the network');
  });
  test('the charts of the direction with their series and values', () => {
    assert.match(html, /id="forward-rate"[\s\S]*data-series="exported"><path [^>]*data-values="0.6,0.4"/);
    assert.match(html, /id="forward-rate"[\s\S]*data-series="applied"><path [^>]*data-values="0.4,0.6"/);
    assert.match(html, /id="forward-lag"[\s\S]*data-series="max lag"><path [^>]*data-values="50,25"/);
    assert.match(html, /id="forward-backlog"[\s\S]*data-series="backlog"><path [^>]*data-values="2,0"/);
  });
  test('timeline, per-table counts and verify verdicts', () => {
    for (const label of ['snapshot started', 'snapshot exported', 'cutover to target requested', 'cutover to target completed', 'verify data: identical']) {
      assert.ok(html.includes(label), label);
    }
    assert.ok(!html.includes('cutover to source requested'), 'a cutover that was not requested is not on the timeline');
    assert.match(html, /<td>1,500<\/td>/);
    assert.match(html, /after cutover to target · changes streaming/);
  });
});
