/**
 * Plain-text rendering of the schema analysis report: readable in a terminal or a ticket, grouped by
 * category, one block per issue.
 */
import type { SchemaAnalysisReport } from '../../core/schema-analysis/report.js';
import { CATEGORIES, CATEGORY_TITLES } from '../../core/schema-analysis/types.js';

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r, i) => {
    const line = r.map((cell, c) => cell.padEnd(widths[c])).join(' | ').trimEnd();
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('-+-')}` : line;
  });
}

const indent = (text: string, pad: string) => text.split('\n').map((l) => pad + l).join('\n');

export function renderTextReport(r: SchemaAnalysisReport): string {
  const out: string[] = [];
  out.push('Schema Analysis Report', '======================', '');
  out.push(`Voyager version: ${r.VoyagerVersion}`, `Generated at:    ${r.GeneratedAt}`);
  if (r.Summary.DbName) out.push(`Database:        ${r.Summary.DbName}`);
  if (r.Summary.DbVersion) out.push(`Server version:  ${r.Summary.DbVersion}`);
  if (r.Summary.SchemaNames.length) out.push(`Schemas:         ${r.Summary.SchemaNames.join(', ')}`);
  out.push('', 'Summary', '-------');
  const objects = r.Summary.DatabaseObjects;
  if (objects.length) {
    out.push(...table([['OBJECT TYPE', 'TOTAL', 'INVALID', 'OBJECT NAMES'], ...objects.map((o) => [o.ObjectType, String(o.TotalCount), String(o.InvalidCount), o.ObjectNames])]));
  }
  out.push('');
  const counts = CATEGORIES.map((c) => [c, r.Issues.filter((i) => i.IssueType === c).length] as const);
  out.push(`Issues: ${r.Issues.length}`);
  for (const [c, n] of counts) out.push(`  ${c.padEnd(30)} ${n}`);
  for (const c of CATEGORIES) {
    const issues = r.Issues.filter((i) => i.IssueType === c);
    if (!issues.length) continue;
    const title = `${CATEGORY_TITLES[c]} (${issues.length})`;
    out.push('', title, '='.repeat(title.length));
    issues.forEach((i, n) => {
      out.push('', `${n + 1}. [${i.RuleId}] ${i.ObjectType} ${i.ObjectName}`);
      out.push(`   Reason:     ${i.Reason}`);
      out.push(`   File:       ${i.FilePath}:${i.LineNumber}`);
      if (i.Suggestion) out.push(`   Suggestion: ${i.Suggestion}`);
      if (i.DocsLink) out.push(`   Docs:       ${i.DocsLink}`);
      if (i.GH) out.push(`   GitHub:     ${i.GH}`);
      out.push('   SQL:', indent(i.SqlStatement, '     '));
    });
  }
  if (r.Summary.Notes.length) {
    out.push('', 'Notes', '-----', ...r.Summary.Notes.map((n) => `- ${n}`));
  }
  return out.join('\n') + '\n';
}
