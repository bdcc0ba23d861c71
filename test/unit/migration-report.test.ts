/**
 * The migration report's pure parts: each direction's history from the 10-second buckets (rates, lag, backlog),
 * its reduction to chart points, the SVG charts and the self-contained HTML page.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chartPoints, directionHistory } from '../../src/core/migration-history.js';
import { ImportBucketAccumulator } from '../../src/export-dir/metrics-history.js';
import { renderMigrationReportHtml } from '../../src/cli/render/migration-report-html.js';
import { MAX_BAR_TABLES, tableCounts, tablesSection } from '../../src/cli/render/migration-report-tables.js';
import { niceTicks, timeChartSvg } from '../../src/cli/render/svg-chart.js';
import type { ReportRow } from '../../src/workflows/data-migration-report.js';
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
  test('until a later moment (the cutover that ended the direction): quiet buckets up to the one holding it', () => {
    const c = chartPoints(h, 10, 100, T0 + 72);
    assert.deepEqual(c.map((p) => [p.t - T0, p.exported, p.imported, p.backlog]).slice(5), [
      [50, 30, 5, 30], [60, 0, 0, 30], [70, 0, 0, 30],
    ]);
    assert.equal(chartPoints(h, 10, 100, T0 + 5).length, 6, 'a moment inside the history changes nothing');
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
  test('points covering intervals: drawn at their middle, the axis to the end of the last, a mark inside it drawn', () => {
    const chart = (pointSeconds?: number) => timeChartSvg({
      id: 'c', title: 'Rate', unit: 'events/s', times: [T0, T0 + 10], pointSeconds,
      series: [{ name: 'applied', color: '#123456', values: [1, 2] }],
      marks: [{ t: T0 + 15, label: 'cutover to target requested' }],
    });
    const xs = (svg: string) => [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.doesNotMatch(chart(), /cutover to target requested/, 'without intervals the axis ends at the last point');
    const svg = chart(10);
    assert.match(svg, /<g class="mark">[^]*cutover to target requested/);
    // x runs 70..900 over 20 s: the points at 5 s and 15 s.
    assert.deepEqual(xs(svg), [70 + 830 / 4, 70 + (830 * 3) / 4]);
    assert.match(svg, /<title>applied, 2027-01-15T08:00:00Z–08:00:10Z: 1 events\/s<\/title>/, 'a point names its interval');
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

function row(name: string, db: 'source' | 'target', n: Partial<ReportRow>): ReportRow {
  return {
    table_name: name, db_type: db, exported_snapshot_rows: 0, imported_snapshot_rows: 0, errored_imported_snapshot_rows: 0,
    exported_inserts: 0, exported_updates: 0, exported_deletes: 0, imported_inserts: 0, imported_updates: 0, imported_deletes: 0, final_row_count: 0, ...n,
  };
}

describe('per-table counts', () => {
  const rows = [
    row('"public"."a"', 'source', { exported_snapshot_rows: 1000, exported_inserts: 30, exported_updates: 20, exported_deletes: 10, imported_inserts: 4, imported_updates: 5, imported_deletes: 6, final_row_count: 1018 }),
    row('"public"."a"', 'target', { imported_snapshot_rows: 1000, imported_inserts: 30, imported_updates: 20, imported_deletes: 10, exported_inserts: 4, exported_updates: 5, exported_deletes: 6, final_row_count: 1018 }),
    row('"public"."b"', 'source', { exported_snapshot_rows: 7, final_row_count: 7 }),
    row('"public"."b"', 'target', { imported_snapshot_rows: 7, final_row_count: 7 }),
  ];
  test('the source and target rows of a table join: each direction exported from one database, applied to the other', () => {
    assert.deepEqual(tableCounts(rows)[0], {
      name: '"public"."a"', snapshotExported: 1000, snapshotImported: 1000, snapshotErrored: 0,
      forwardExported: { inserts: 30, updates: 20, deletes: 10 }, forwardApplied: { inserts: 30, updates: 20, deletes: 10 },
      fallBackExported: { inserts: 4, updates: 5, deletes: 6 }, fallBackApplied: { inserts: 4, updates: 5, deletes: 6 },
      finalSource: 1018, finalTarget: 1018,
    });
    const sourceOnly = tableCounts(rows.filter((r) => r.db_type === 'source'));
    assert.equal(sourceOnly[1]!.snapshotImported, undefined, 'a database that was not read is unknown, not 0');
  });
  test('bars per table and measure, each with its value; one table row per table with both directions', () => {
    const html = tablesSection(rows, true);
    const bars = [...html.matchAll(/<g class="bar-row" data-table="([^"]+)">(.*?)<\/g>/g)].map((m) => [m[1], [...m[2]!.matchAll(/data-series="([^"]+)" data-v="(\d+)"/g)].map((b) => `${b[1]}=${b[2]}`)]);
    assert.deepEqual(bars, [
      ['&quot;public&quot;.&quot;a&quot;', ['snapshot rows=1000', 'changes source → target=60', 'changes target → source=15']],
      ['&quot;public&quot;.&quot;b&quot;', ['snapshot rows=7', 'changes source → target=0', 'changes target → source=0']],
    ]);
    const a = /<tr data-table="&quot;public&quot;.&quot;a&quot;">(.*?)<\/tr>/.exec(html)![1]!;
    assert.deepEqual([...a.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]), [
      '&quot;public&quot;.&quot;a&quot;', '1,000', '1,000', '30 / 20 / 10', '30 / 20 / 10', '4 / 5 / 6', '4 / 5 / 6', '1,018', '1,018',
    ]);
    assert.doesNotMatch(html, /errored/, 'no errored column when no row errored');
    assert.doesNotMatch(tablesSection(rows, false), /target → source/, 'no fall-back columns without a fall-back');
  });
  test('many tables: the biggest are drawn, and the page says so; every one is in the table', () => {
    const many = Array.from({ length: MAX_BAR_TABLES + 5 }, (_, i) => row(`t${i}`, 'source', { exported_snapshot_rows: i }));
    const html = tablesSection(many, false);
    assert.equal((html.match(/<g class="bar-row"/g) ?? []).length, MAX_BAR_TABLES);
    assert.match(html, /data-table="t29"/);
    assert.doesNotMatch(html, /<g class="bar-row" data-table="t0"/, 'the smallest tables are left out of the chart');
    assert.equal((html.match(/<tr data-table=/g) ?? []).length, MAX_BAR_TABLES + 5);
    assert.match(html, /The 25 biggest of 30 tables/);
  });
});
