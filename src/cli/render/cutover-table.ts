import type { CutoverState } from '../../core/cutover.js';
import { statusOf } from '../../core/cutover.js';

/** `YYYY-MM-DD HH:MM:SS UTC`, as the reference prints it (scripts parse this table). */
export function utcStamp(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') + ' UTC' : '-';
}

/** The `cutover status` table: `CUTOVER DIRECTION | STATUS | REQUESTED AT`, one row per direction. */
export function renderCutoverTable(state: CutoverState): string {
  const rows = [
    ['CUTOVER DIRECTION', 'STATUS', 'REQUESTED AT'],
    ['source → target', statusOf(state, 'toTarget'), utcStamp(state.toTarget.requestedAt)],
    ['target → source', statusOf(state, 'toSource'), utcStamp(state.toSource.requestedAt)],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd()).join('\n');
}
