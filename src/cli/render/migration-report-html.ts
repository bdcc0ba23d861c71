/**
 * The migration report as one self-contained HTML page (inline CSS and SVG, no script, no network): a summary,
 * the timeline of the migration (snapshot, cutovers, verify runs), per direction the change events per second,
 * the apply lag and the queue backlog over time, the per-table counts of both databases (a chart and a table,
 * migration-report-tables.ts), and the verdicts of every `verify data` run. Every value from the export dir is
 * escaped. Pure: document in, page out.
 */
import { chartPoints, perSecond, type HistoryPoint } from '../../core/migration-history.js';
import { escapeHtml } from '../../workflows/schema-report/html.js';
import type { CutoverDirectionReport, DirectionReport, MigrationReport } from '../../workflows/migration-report.js';
import { grouped, tablesSection } from './migration-report-tables.js';
import { timeChartSvg, type ChartMark } from './svg-chart.js';

/** Points per chart: one per pixel-pair of a 920-wide chart is plenty. */
const MAX_CHART_POINTS = 400;

const COLORS = { exported: '#2471a3', imported: '#1e8449', lagAvg: '#b7950b', lagMax: '#c0392b', backlog: '#8e44ad' };

const CSS = `
*{box-sizing:border-box}
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;background:#f4f6f8;color:#1f2933;line-height:1.45}
header{background:#1b2a41;color:#fff;padding:22px 40px}
header h1{margin:0 0 6px;font-size:24px;font-weight:600}
header .meta{font-size:13px;color:#c9d3df}
header .meta span{margin-right:22px}
main{max-width:1000px;margin:0 auto;padding:20px 40px 60px}
h2{font-size:19px;margin:30px 0 12px;padding-bottom:6px;border-bottom:2px solid #d9e0e7}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:10px 14px;border-left:6px solid #1b2a41;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .n{font-size:20px;font-weight:700;overflow-wrap:anywhere}
.card .t{font-size:12px;color:#52606d}
.card.ok{border-left-color:#1e8449}.card.bad{border-left-color:#c0392b}.card.wait{border-left-color:#b7950b}
table{width:100%;border-collapse:collapse;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08);font-size:13px;margin:8px 0}
th,td{padding:6px 8px;border-bottom:1px solid #e4e7eb;text-align:right;white-space:nowrap}
th{background:#eef2f6;font-size:11px;text-transform:uppercase;letter-spacing:.03em}
th:first-child,td:first-child,td.text,th.text{text-align:left}
th.group{text-align:center;white-space:normal;border-left:2px solid #d9e0e7}
svg.bars .column{font-weight:600;font-size:12px}
.wide{overflow-x:auto}
svg.chart,svg.timeline,svg.bars{background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08);margin:8px 0;max-width:100%;height:auto;font-size:11px}
svg .chart-title{font-size:13px;font-weight:600}
svg .grid{stroke:#e4e7eb}
svg .x-axis line{stroke:#9aa5b1}
svg .mark line{stroke:#52606d;stroke-dasharray:4 3}
svg .mark text{fill:#52606d;font-size:10px}
svg .empty{fill:#9aa5b1;font-size:14px}
.verdict-identical{color:#1e8449;font-weight:600}.verdict-different{color:#c0392b;font-weight:600}
p.note{color:#52606d;font-size:13px}
`;

export function renderMigrationReportHtml(r: MigrationReport): string {
  const marks = timelineMarks(r);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Data migration report</title><style>${CSS}</style></head>
<body><header><h1>Data migration report</h1><div class="meta">
<span>migration ${escapeHtml(r.migration_uuid)}</span><span>generated ${escapeHtml(r.generated_at)}</span>
<span>export type ${escapeHtml(r.export_type ?? '-')}</span></div></header>
<main>
${summaryCards(r)}
<h2>Timeline</h2>
${timelineSvg(marks)}
${timelineTable(marks)}
${r.directions.map((d) => directionSection(d, marks, d.exporter_role === 'source_db_exporter' ? r.cutover.to_target : r.cutover.to_source)).join('\n')}
<h2>Tables</h2>
${tablesSection(r.tables, r.directions.some((d) => d.exporter_role === 'target_db_exporter_fb'))}
<h2>Verify data</h2>
${verifySection(r)}
<p class="note">Times are UTC. Rates and lag come from the 10-second counters in meta.db; lag is the time from the
source commit to the commit of the same transaction on the written database.</p>
</main></body></html>
`;
}

function summaryCards(r: MigrationReport): string {
  const card = (n: string, t: string, cls = '') => `<div class="card ${cls}"><div class="n">${escapeHtml(n)}</div><div class="t">${escapeHtml(t)}</div></div>`;
  const snapshotRows = r.tables.filter((t) => t.db_type === 'source').reduce((s, t) => s + t.exported_snapshot_rows, 0);
  const cards = [card(String(r.tables.filter((t) => t.db_type === 'source').length), 'tables'), card(grouped(snapshotRows), 'snapshot rows exported')];
  for (const d of r.directions) {
    cards.push(card(grouped(d.imported_events), `events applied ${d.direction}`));
    cards.push(card(grouped(d.backlog), `backlog ${d.direction}`, d.backlog ? 'wait' : 'ok'));
  }
  const statusClass = (s: CutoverDirectionReport) => (s.status === 'COMPLETED' ? 'ok' : s.status === 'INITIATED' ? 'wait' : '');
  const status = (s: CutoverDirectionReport) => s.status.replace('_', ' ').toLowerCase();
  cards.push(card(status(r.cutover.to_target), 'cutover to target', statusClass(r.cutover.to_target)));
  if (r.cutover.prepare_for_fall_back) cards.push(card(status(r.cutover.to_source), 'cutover to source', statusClass(r.cutover.to_source)));
  const last = r.verify_runs[0];
  if (last) cards.push(card(last.identical ? 'identical' : 'different', `last verify data (${last.phase})`, last.identical ? 'ok' : 'bad'));
  return `<div class="cards">${cards.join('')}</div>`;
}

interface TimelineMark extends ChartMark {
  kind: 'snapshot' | 'cutover' | 'verify-ok' | 'verify-bad';
}

function timelineMarks(r: MigrationReport): TimelineMark[] {
  const out: TimelineMark[] = [];
  const add = (iso: string | undefined, label: string, kind: TimelineMark['kind']) => {
    const ms = iso ? Date.parse(iso) : NaN;
    if (Number.isFinite(ms)) out.push({ t: ms / 1000, label, kind });
  };
  add(r.snapshot.started_at, 'snapshot started', 'snapshot');
  add(r.snapshot.completed_at, 'snapshot exported', 'snapshot');
  add(r.cutover.to_target.requested_at, 'cutover to target requested', 'cutover');
  add(r.cutover.to_target.completed_at, 'cutover to target completed', 'cutover');
  add(r.cutover.to_source.requested_at, 'cutover to source requested', 'cutover');
  add(r.cutover.to_source.completed_at, 'cutover to source completed', 'cutover');
  for (const v of r.verify_runs) add(v.finishedAt, `verify data: ${v.identical ? 'identical' : 'different'}`, v.identical ? 'verify-ok' : 'verify-bad');
  return out.sort((a, b) => a.t - b.t);
}

const MARK_COLORS: Record<TimelineMark['kind'], string> = { snapshot: '#2471a3', cutover: '#1b2a41', 'verify-ok': '#1e8449', 'verify-bad': '#c0392b' };

/** The moments of the migration on one axis; labels alternate above and below so neighbours stay readable. */
function timelineSvg(marks: readonly TimelineMark[]): string {
  const W = 920;
  const H = 150;
  if (!marks.length) return '<p class="note">Nothing has happened yet.</p>';
  const t0 = marks[0]!.t;
  const t1 = Math.max(marks[marks.length - 1]!.t, t0 + 1);
  const x = (t: number) => 30 + ((t - t0) / (t1 - t0)) * (W - 260);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="timeline" id="timeline" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="timeline of the migration"><title>timeline of the migration</title>`,
    `<line x1="30" x2="${W - 230}" y1="75" y2="75" stroke="#9aa5b1" stroke-width="2"/>`];
  marks.forEach((m, i) => {
    const up = i % 2 === 0;
    const cx = x(m.t).toFixed(1);
    parts.push(`<g class="event" data-kind="${m.kind}" data-t="${m.t}"><circle cx="${cx}" cy="75" r="6" fill="${MARK_COLORS[m.kind]}"/>`
      + `<line x1="${cx}" x2="${cx}" y1="${up ? 69 : 81}" y2="${up ? 50 : 100}" stroke="#9aa5b1"/>`
      + `<text x="${cx}" y="${up ? 44 - (i % 4 === 0 ? 0 : 14) : 114 + (i % 4 === 1 ? 0 : 14)}">${escapeHtml(m.label)}</text>`
      + `<title>${escapeHtml(`${m.label}: ${new Date(m.t * 1000).toISOString()}`)}</title></g>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function timelineTable(marks: readonly TimelineMark[]): string {
  if (!marks.length) return '';
  const rows = marks.map((m) => `<tr><td class="text">${escapeHtml(new Date(m.t * 1000).toISOString())}</td><td class="text">${escapeHtml(m.label)}</td></tr>`);
  return `<table class="timeline-events"><thead><tr><th class="text">time</th><th class="text">event</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * The three charts of one direction. They run until the cutover that ends the direction when there is one (the
 * quiet time before it shows as zeros), so its marks are on them.
 */
function directionSection(d: DirectionReport, marks: readonly TimelineMark[], ownCutover: CutoverDirectionReport): string {
  const points: HistoryPoint[] = d.history.map((p) => ({
    t: Date.parse(p.time) / 1000, seconds: d.bucket_seconds, exported: p.exported_events, imported: p.imported_events,
    lagMsAvg: p.lag_ms_avg, lagMsMax: p.lag_ms_max, backlog: p.backlog,
  }));
  const ends = [ownCutover.requested_at, ownCutover.completed_at].map((iso) => (iso ? Date.parse(iso) / 1000 : NaN)).filter(Number.isFinite);
  const chart = chartPoints(points, d.bucket_seconds, MAX_CHART_POINTS, ends.length ? Math.max(...ends) : undefined);
  const times = chart.map((p) => p.t);
  const pointSeconds = chart[0]?.seconds;
  const cutoverMarks = marks.filter((m) => m.kind === 'cutover');
  const id = d.exporter_role === 'source_db_exporter' ? 'forward' : 'fall-back';
  return `<h2>Changes ${escapeHtml(d.direction)}</h2>
<p class="note">${grouped(d.exported_events)} events exported, ${grouped(d.imported_events)} applied, ${grouped(d.backlog)} waiting in the queue.</p>
${timeChartSvg({
    id: `${id}-rate`, title: `Change events per second, ${d.direction}`, unit: 'events/s', times, pointSeconds, marks: cutoverMarks,
    series: [
      { name: 'exported', color: COLORS.exported, values: chart.map((p) => perSecond(p.exported, p.seconds)) },
      { name: 'applied', color: COLORS.imported, values: chart.map((p) => perSecond(p.imported, p.seconds)) },
    ],
  })}
${timeChartSvg({
    id: `${id}-lag`, title: `Apply lag, ${d.direction}`, unit: 'ms', times, pointSeconds, marks: cutoverMarks,
    series: [
      { name: 'mean lag', color: COLORS.lagAvg, values: chart.map((p) => p.lagMsAvg) },
      { name: 'max lag', color: COLORS.lagMax, values: chart.map((p) => p.lagMsMax) },
    ],
  })}
${timeChartSvg({
    id: `${id}-backlog`, title: `Queue backlog, ${d.direction}`, unit: 'events', times, pointSeconds, marks: cutoverMarks,
    series: [{ name: 'backlog', color: COLORS.backlog, values: chart.map((p) => p.backlog) }],
  })}`;
}

function verifySection(r: MigrationReport): string {
  if (!r.verify_runs.length) return '<p class="note">verify data has not run yet (yb-voyager verify data --export-dir …).</p>';
  return r.verify_runs.map((v) => {
    const rows = v.tables.map((t) => `<tr><td class="text">${escapeHtml(`${t.schema}.${t.table}`)}</td><td class="text verdict-${escapeHtml(t.verdict)}">${escapeHtml(t.verdict)}</td>`
      + `<td>${grouped(t.sourceRows)}</td><td>${grouped(t.targetRows)}</td><td>${grouped(t.differenceCount)}</td></tr>`);
    return `<table class="verify-run" data-identical="${v.identical}"><caption>${escapeHtml(`${v.finishedAt} · ${v.phase}${v.live ? ' · changes streaming' : ''} · `)}`
      + `<span class="verdict-${v.identical ? 'identical' : 'different'}">${v.identical ? 'identical' : 'different'}</span></caption>`
      + '<thead><tr><th class="text">table</th><th class="text">verdict</th><th>source rows</th><th>target rows</th><th>differences</th></tr></thead>'
      + `<tbody>${rows.join('')}</tbody></table>`;
  }).join('\n');
}
