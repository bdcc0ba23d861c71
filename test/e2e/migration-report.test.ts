/**
 * The HTML migration report of a real live migration with fall-back (writes on the source, cutover to target,
 * writes on the target flowing back, cutover to source, verify data after each cutover), opened in a real
 * headless chromium: the page loads with no console error and no network request, and its charts and timeline
 * hold what meta.db and the databases say happened.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { APP_SCHEMA_SQL, APP_TABLES, seed, Workload } from '../../demo/workload.js';
import { compareTables } from '../../demo/verify.js';
import type { MigrationReport } from '../../src/workflows/migration-report.js';
import { launchChromium, type HeadlessBrowser } from '../helpers/browser.js';
import { cliSession, cutoverStatus, poll, startSourceAndTarget } from '../helpers/live-rig.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, type PgCluster } from '../helpers/pg-cluster.js';

let source: PgCluster;
let target: PgCluster;
let srcDb: string;
let tgtDb: string;
let exportDir: string;
let browser: HeadlessBrowser | undefined;
// Metrics (and the history they record) every second, so a short run still spans several points.
const { start, cli, killAll } = cliSession({ SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_METRICS_INTERVAL_MS: '1000' });

before(async () => {
  ({ source, target, srcDb, tgtDb } = await startSourceAndTarget('report', async (c) => {
    await c.query(APP_SCHEMA_SQL);
    await c.query(`ALTER TABLE public.customers OWNER TO ${MIGRATION_USER}; ALTER TABLE public.orders OWNER TO ${MIGRATION_USER}; ALTER TABLE public.order_audit OWNER TO ${MIGRATION_USER}`);
    await seed(c, 200, 5);
  }));
  exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-report-'));
});

after(async () => {
  await killAll();
  await browser?.close();
  await Promise.all([source?.stop(), target?.stop()]);
  if (exportDir) fs.rmSync(exportDir, { recursive: true, force: true });
});

const appConfig = (cluster: PgCluster, db: string): pg.ClientConfig => ({ host: cluster.host, port: cluster.port, user: MIGRATION_USER, password: MIGRATION_PASSWORD, database: db });

async function waitEqual(what: string): Promise<void> {
  await poll(what, async () => ((await compareTables(appConfig(source, srcDb), appConfig(target, tgtDb), APP_TABLES)).length === 0 ? true : undefined));
}

/** What the page shows, read in the browser from the SVG it rendered. */
interface PageFacts {
  title: string;
  charts: Record<string, Record<string, number[]>>;
  /** The labels of the moments marked on each chart. */
  chartMarks: Record<string, string[]>;
  /** Per table, the value of each bar of the per-table chart. */
  bars: Record<string, Record<string, number>>;
  timeline: string[];
  tableNames: string[];
  verdicts: string[];
}

test('the HTML report of a live migration with fall-back, in a real browser', { timeout: 240_000 }, async () => {
  const srcFlags = ['--export-dir', exportDir, ...source.flags('source', srcDb), '--source-db-schema', 'public'];
  const tgtFlags = ['--export-dir', exportDir, ...target.flags('target', tgtDb)];
  await cli(['export', 'schema', ...srcFlags]);
  await cli(['import', 'schema', ...tgtFlags]);

  const onSource = new Workload(appConfig(source, srcDb), 'src');
  await onSource.start();
  const exporter = start(['export', 'data', 'from', 'source', ...srcFlags, '--export-type', 'snapshot-and-changes']);
  await poll('export data to start', async () => (fs.existsSync(path.join(exportDir, '.export-data-from-source.lck')) ? true : undefined));
  const importer = start(['import', 'data', 'to', 'target', ...tgtFlags]);
  await importer.waitForLine(/applying the streamed changes/);
  // Writes go on until changes were applied in at least two of the report's 10-second buckets (the forward charts
  // must have points over time), as the report itself says: not after a count of metrics lines, which can all
  // fall into one bucket.
  await poll('changes applied in two buckets', async () => {
    const now = JSON.parse(await cli(['get', 'data-migration-report', '--export-dir', exportDir, '--output-format', 'json'])) as MigrationReport;
    const applied = now.directions[0]?.history.filter((p) => p.imported_events > 0).length ?? 0;
    return applied >= 2 ? true : undefined;
  }, 120_000, 1000);
  await onSource.stop();
  await waitEqual('the target to catch up');
  await cli(['verify', 'data', '--export-dir', exportDir, '--disable-pb', 'true']);

  await cli(['initiate', 'cutover', 'to', 'target', '--export-dir', exportDir, '--prepare-for-fall-back', 'true']);
  await poll('cutover to target', async () => ((await cutoverStatus(cli, exportDir, 'source → target')) === 'COMPLETED' ? true : undefined));
  const onTarget = new Workload(appConfig(target, tgtDb), 'tgt');
  await onTarget.run(30);
  await waitEqual('the source to catch up');
  await cli(['initiate', 'cutover', 'to', 'source', '--export-dir', exportDir]);
  const [e, i] = await Promise.all([exporter.wait(), importer.wait()]);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(i.code, 0, i.stderr);
  await cli(['verify', 'data', '--export-dir', exportDir, '--disable-pb', 'true']);

  const doc = JSON.parse(await cli(['get', 'data-migration-report', '--export-dir', exportDir, '--output-format', 'json'])) as MigrationReport;
  const printed = await cli(['get', 'data-migration-report', '--export-dir', exportDir, '--output-format', 'html']);
  const htmlFile = path.join(exportDir, 'reports', 'data-migration-report.html');
  assert.ok(printed.includes(htmlFile), printed);

  // The json: both directions with their history, the cutovers, two verify runs.
  assert.deepEqual(doc.directions.map((d) => d.direction), ['source → target', 'target → source']);
  for (const d of doc.directions) {
    assert.ok(d.exported_events > 0, `${d.direction}: events exported`);
    assert.equal(d.imported_events, d.exported_events, `${d.direction}: every exported event applied`);
    assert.equal(d.backlog, 0);
    const sum = (f: (p: MigrationReport['directions'][0]['history'][0]) => number) => d.history.reduce((s, p) => s + f(p), 0);
    assert.equal(sum((p) => p.exported_events), d.exported_events, `${d.direction}: the history holds every exported event`);
    assert.equal(sum((p) => p.imported_events), d.imported_events, `${d.direction}: the history holds every applied event`);
    assert.ok(d.history.some((p) => (p.lag_ms_max ?? -1) >= 0), `${d.direction}: lag recorded`);
    assert.equal(d.history[d.history.length - 1]!.backlog, 0);
  }
  assert.equal(doc.cutover.to_target.status, 'COMPLETED');
  assert.equal(doc.cutover.to_source.status, 'COMPLETED');
  assert.deepEqual(doc.verify_runs.map((v) => [v.phase, v.identical]), [['after cutover to source', true], ['before cutover', true]]);

  // The page, in chromium: no console error, no request beyond the file itself.
  browser = await launchChromium();
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(htmlFile).href;
  await page.goto(url, { waitUntil: 'load' });
  assert.deepEqual(problems, []);
  assert.deepEqual(requests, [url], 'the page loads nothing but itself');

  const facts = await page.evaluate((): PageFacts => {
    const charts: PageFacts['charts'] = {};
    const chartMarks: PageFacts['chartMarks'] = {};
    for (const svg of Array.from(document.querySelectorAll('svg.chart'))) {
      const series: Record<string, number[]> = {};
      for (const g of Array.from(svg.querySelectorAll('g.series'))) {
        const values = (g.querySelector('path')?.getAttribute('data-values') ?? '').split(',');
        series[g.getAttribute('data-series') ?? '?'] = values.map((v) => (v === '' ? NaN : Number(v)));
      }
      charts[svg.id] = series;
      chartMarks[svg.id] = Array.from(svg.querySelectorAll('g.mark text')).map((t) => t.textContent ?? '');
    }
    const bars: PageFacts['bars'] = {};
    for (const g of Array.from(document.querySelectorAll('svg#table-counts g.bar-row'))) {
      const values: Record<string, number> = {};
      for (const r of Array.from(g.querySelectorAll('rect'))) values[r.getAttribute('data-series') ?? '?'] = Number(r.getAttribute('data-v'));
      bars[g.getAttribute('data-table') ?? '?'] = values;
    }
    return {
      title: document.title,
      charts,
      chartMarks,
      bars,
      timeline: Array.from(document.querySelectorAll('svg.timeline g.event text')).map((t) => t.textContent ?? ''),
      tableNames: Array.from(document.querySelectorAll('table.tables tbody tr td:first-child')).map((td) => td.textContent ?? ''),
      verdicts: Array.from(document.querySelectorAll('table.verify-run')).map((t) => t.getAttribute('data-identical') ?? ''),
    };
  });
  assert.equal(facts.title, 'Data migration report');
  assert.deepEqual(Object.keys(facts.charts).sort(), ['fall-back-backlog', 'fall-back-lag', 'fall-back-rate', 'forward-backlog', 'forward-lag', 'forward-rate']);
  for (const [id, d] of [['forward', doc.directions[0]!], ['fall-back', doc.directions[1]!]] as const) {
    const rate = facts.charts[`${id}-rate`]!;
    assert.deepEqual(Object.keys(rate), ['exported', 'applied']);
    // Events per second × the 10-second bucket = the events of the json (the chart drops no event).
    const events = (values: number[]) => Math.round(values.reduce((s, v) => s + v, 0) * d.bucket_seconds);
    assert.equal(events(rate.exported!), d.exported_events, `${id}: the exported series adds up`);
    assert.equal(events(rate.applied!), d.imported_events, `${id}: the applied series adds up`);
    assert.deepEqual(Object.keys(facts.charts[`${id}-lag`]!), ['mean lag', 'max lag']);
    assert.ok(facts.charts[`${id}-lag`]!['max lag']!.some((v) => v >= 0), `${id}: lag points drawn`);
    const backlog = facts.charts[`${id}-backlog`]!.backlog!;
    // Points are 10-second buckets: the short fall-back phase may fit in one.
    assert.ok(backlog.length >= (id === 'forward' ? 2 : 1), `${id}: points over time: ${backlog.join(',')}`);
    assert.equal(backlog[backlog.length - 1], 0, `${id}: the backlog ends empty`);
    // Each direction's charts run until the cutover that ended it, and mark it.
    const ended = id === 'forward' ? 'cutover to target' : 'cutover to source';
    for (const chart of ['rate', 'lag', 'backlog']) {
      const marks = facts.chartMarks[`${id}-${chart}`]!;
      assert.ok(marks.includes(`${ended} requested`) && marks.includes(`${ended} completed`), `${id}-${chart} marks: ${marks.join(' | ')}`);
    }
  }
  // The per-table chart: a row of bars per table holding the json's counts (changes: inserts + updates + deletes).
  const changes = (r: MigrationReport['tables'][0]) => r.exported_inserts + r.exported_updates + r.exported_deletes;
  const expectedBars = Object.fromEntries(doc.tables.filter((r) => r.db_type === 'source').map((src) => {
    const tgt = doc.tables.find((r) => r.db_type === 'target' && r.table_name === src.table_name)!;
    return [src.table_name, { 'snapshot rows': src.exported_snapshot_rows, 'changes source → target': changes(src), 'changes target → source': changes(tgt) }];
  }));
  assert.deepEqual(facts.bars, expectedBars);
  assert.ok(Object.values(facts.bars).some((b) => b['changes source → target']! > 0 && b['changes target → source']! > 0), 'changes in both directions drawn');
  for (const label of ['snapshot started', 'snapshot exported', 'cutover to target requested', 'cutover to target completed',
    'cutover to source requested', 'cutover to source completed', 'verify data: identical']) {
    assert.ok(facts.timeline.includes(label), `timeline has "${label}": ${facts.timeline.join(' | ')}`);
  }
  assert.ok(facts.tableNames.includes('"public"."orders"'), facts.tableNames.join(', '));
  assert.deepEqual(facts.verdicts, ['true', 'true']);
});
