/**
 * The per-table part of the HTML migration report: a bar chart of where the rows went (snapshot rows, and the
 * change events of each direction, per table) and one table row per table with every count of both databases,
 * narrow enough to read without scrolling. The rows of `get data-migration-report` come in pairs (the source's,
 * the target's); here they are joined by table. Pure: rows in, markup out.
 */
import { escapeHtml } from '../../workflows/schema-report/html.js';
import type { ReportRow } from '../../workflows/data-migration-report.js';

/** More tables than this are drawn as the biggest ones; the table below lists every one. */
export const MAX_BAR_TABLES = 25;

interface Iud {
  inserts: number;
  updates: number;
  deletes: number;
}

/** Every count of one table, both databases. `undefined`: that database was not read (no connection to it). */
export interface TableCounts {
  name: string;
  snapshotExported: number;
  snapshotImported?: number;
  snapshotErrored?: number;
  /** Source → target: exported from the source, applied to the target. */
  forwardExported: Iud;
  forwardApplied?: Iud;
  /** Target → source (fall-back): exported from the target, applied to the source. */
  fallBackExported?: Iud;
  fallBackApplied: Iud;
  finalSource: number;
  finalTarget?: number;
}

const iud = (inserts: number, updates: number, deletes: number): Iud => ({ inserts, updates, deletes });
const events = (c: Iud | undefined): number => (c ? c.inserts + c.updates + c.deletes : 0);

/** The report's rows joined by table, in their order. */
export function tableCounts(rows: readonly ReportRow[]): TableCounts[] {
  const out = new Map<string, TableCounts>();
  for (const r of rows) {
    if (r.db_type !== 'source') continue;
    out.set(r.table_name, {
      name: r.table_name, snapshotExported: r.exported_snapshot_rows,
      forwardExported: iud(r.exported_inserts, r.exported_updates, r.exported_deletes),
      fallBackApplied: iud(r.imported_inserts, r.imported_updates, r.imported_deletes),
      finalSource: r.final_row_count,
    });
  }
  for (const r of rows) {
    const t = out.get(r.table_name);
    if (r.db_type !== 'target' || !t) continue;
    t.snapshotImported = r.imported_snapshot_rows;
    t.snapshotErrored = r.errored_imported_snapshot_rows;
    t.forwardApplied = iud(r.imported_inserts, r.imported_updates, r.imported_deletes);
    t.fallBackExported = iud(r.exported_inserts, r.exported_updates, r.exported_deletes);
    t.finalTarget = r.final_row_count;
  }
  return [...out.values()];
}

/** The per-table section: the chart, then the table. `fallBack`: the target → source direction exists. */
export function tablesSection(rows: readonly ReportRow[], fallBack: boolean): string {
  const tables = tableCounts(rows);
  if (!tables.length) return '<p class="note">No table was exported.</p>';
  return `${tableBarsSvg(tables, fallBack)}\n${countsTable(tables, fallBack)}`;
}

interface BarColumn {
  name: string;
  color: string;
  value: (t: TableCounts) => number;
}

/**
 * One row of bars per table, one column per measure, each column on its own scale (snapshot rows dwarf change
 * counts) with the number written beside its bar. The biggest MAX_BAR_TABLES tables when there are more.
 */
function tableBarsSvg(tables: readonly TableCounts[], fallBack: boolean): string {
  const columns: BarColumn[] = [
    { name: 'snapshot rows', color: '#2471a3', value: (t) => t.snapshotExported },
    { name: 'changes source → target', color: '#1e8449', value: (t) => events(t.forwardExported) },
  ];
  if (fallBack) columns.push({ name: 'changes target → source', color: '#8e44ad', value: (t) => events(t.fallBackExported) });
  const shown = [...tables].sort((a, b) => total(b, columns) - total(a, columns)).slice(0, MAX_BAR_TABLES);
  const W = 920;
  const ROW = 24;
  const TOP = 58;
  const nameWidth = 200;
  const colWidth = (W - nameWidth - 20) / columns.length;
  const barMax = colWidth - 80;
  const H = TOP + shown.length * ROW + 12;
  const title = 'Rows per table: snapshot rows exported, change events exported in each direction';
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="bars" id="table-counts" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}">`
    + `<title>${escapeHtml(title)}</title><text class="chart-title" x="10" y="20">${escapeHtml(title)}</text>`];
  columns.forEach((c, i) => {
    const x0 = nameWidth + i * colWidth;
    parts.push(`<text class="column" x="${x0}" y="${TOP - 12}">${escapeHtml(c.name)}</text>`);
  });
  const maxima = columns.map((c) => Math.max(1, ...shown.map(c.value)));
  shown.forEach((t, r) => {
    const y = TOP + r * ROW;
    parts.push(`<g class="bar-row" data-table="${escapeHtml(t.name)}"><text x="10" y="${y + 15}">${escapeHtml(clip(t.name, 30))}</text>`);
    columns.forEach((c, i) => {
      const v = c.value(t);
      const x0 = nameWidth + i * colWidth;
      const w = v > 0 ? Math.max(1, (v / maxima[i]!) * barMax) : 0;
      parts.push(`<rect x="${x0}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW - 8}" fill="${c.color}" data-series="${escapeHtml(c.name)}" data-v="${v}">`
        + `<title>${escapeHtml(`${t.name}, ${c.name}: ${grouped(v)}`)}</title></rect>`
        + `<text x="${(x0 + w + 5).toFixed(1)}" y="${y + 15}">${grouped(v)}</text>`);
    });
    parts.push('</g>');
  });
  parts.push('</svg>');
  const more = tables.length > shown.length ? `<p class="note">The ${shown.length} biggest of ${tables.length} tables; the table below lists every one.</p>` : '';
  return parts.join('') + more;
}

function total(t: TableCounts, columns: readonly BarColumn[]): number {
  return columns.reduce((s, c) => s + c.value(t), 0);
}

/**
 * One row per table: snapshot rows exported and imported, each direction's changes exported and applied
 * (inserts / updates / deletes), the final row count of each database. Errored rows only when there are any.
 */
function countsTable(tables: readonly TableCounts[], fallBack: boolean): string {
  const errored = tables.some((t) => (t.snapshotErrored ?? 0) > 0);
  const group = (label: string, span: number) => `<th colspan="${span}" class="group">${escapeHtml(label)}</th>`;
  const head1 = `<tr><th rowspan="2" class="text">table</th>${group('snapshot rows', errored ? 3 : 2)}`
    + `${group('changes source → target (ins / upd / del)', 2)}${fallBack ? group('changes target → source (ins / upd / del)', 2) : ''}${group('final row count', 2)}</tr>`;
  const sub = ['exported', 'imported', ...(errored ? ['errored'] : []), 'exported', 'applied', ...(fallBack ? ['exported', 'applied'] : []), 'source', 'target'];
  const head2 = `<tr>${sub.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  const body = tables.map((t) => {
    const cells = [
      num(t.snapshotExported), num(t.snapshotImported), ...(errored ? [num(t.snapshotErrored)] : []),
      changes(t.forwardExported), changes(t.forwardApplied),
      ...(fallBack ? [changes(t.fallBackExported), changes(t.fallBackApplied)] : []),
      num(t.finalSource), num(t.finalTarget),
    ];
    return `<tr data-table="${escapeHtml(t.name)}"><td class="text">${escapeHtml(t.name)}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table class="tables"><thead>${head1}${head2}</thead><tbody>${body.join('')}</tbody></table>`
    + '<p class="note">Exported: read from the database the changes were made on; applied: written to the other one. '
    + 'The same rows, one line per database, are in reports/data-migration-report.json.</p>';
}

function num(n: number | undefined): string {
  return n === undefined ? '–' : grouped(n);
}

function changes(c: Iud | undefined): string {
  return c ? `${grouped(c.inserts)} / ${grouped(c.updates)} / ${grouped(c.deletes)}` : '–';
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** 1234567 → 1,234,567. */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
