/** verify data's table: one row per table with its verdict, then the differences found, one per line. */
import Table from 'cli-table3';
import { qualified } from '../../core/sql-names.js';
import type { VerifyResult } from '../../workflows/verify-data.js';

const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
const KIND = { 'missing-on-target': 'missing on target', 'extra-on-target': 'extra on target', different: 'different values' } as const;

export function renderVerifyReport(r: VerifyResult): string {
  const t = new Table({ head: ['TABLE', 'SOURCE ROWS', 'TARGET ROWS', 'CHUNKS', 'VERDICT', 'DIFFERENCES'], style: { head: [], border: [] }, chars: COMPACT });
  for (const v of r.tables) {
    t.push([qualified(v.schema, v.table), v.sourceRows, v.targetRows, v.chunks, v.verdict === 'identical' ? 'IDENTICAL' : 'DIFFERENT', v.differenceCount].map(String));
  }
  const lines = [t.toString()];
  for (const v of r.tables.filter((x) => x.differences.length)) {
    for (const d of v.differences) {
      const key = Object.entries(d.key).map(([k, val]) => `${k}=${val}`).join(', ');
      lines.push(`  ${qualified(v.schema, v.table)} (${key}): ${KIND[d.kind]}${d.columns?.length ? ` in ${d.columns.join(', ')}` : ''}`);
    }
    if (v.differenceCount > v.differences.length) lines.push(`  ${qualified(v.schema, v.table)}: … and ${v.differenceCount - v.differences.length} more (all in reports/verify-data.json)`);
  }
  return lines.join('\n');
}
