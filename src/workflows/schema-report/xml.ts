/**
 * XML rendering of the schema analysis report: the JSON model's fields as elements, in the same order.
 */
import type { SchemaAnalysisReport } from '../../core/schema-analysis/report.js';

/** Escape for XML 1.0 text, dropping the control characters XML 1.0 cannot carry at all. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const el = (name: string, value: string | number, indent: string) => `${indent}<${name}>${escapeXml(String(value))}</${name}>`;

export function renderXmlReport(r: SchemaAnalysisReport): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', '<SchemaAnalysisReport>'];
  lines.push(el('VoyagerVersion', r.VoyagerVersion, '  '), el('TargetDBVersion', r.TargetDBVersion, '  '), el('GeneratedAt', r.GeneratedAt, '  '));
  const s = r.Summary;
  lines.push('  <Summary>', el('Description', s.Description, '    '), el('DbName', s.DbName, '    '));
  lines.push('    <SchemaNames>', ...s.SchemaNames.map((n) => el('SchemaName', n, '      ')), '    </SchemaNames>');
  lines.push(el('DbVersion', s.DbVersion, '    '));
  lines.push('    <Notes>', ...s.Notes.map((n) => el('Note', n, '      ')), '    </Notes>');
  lines.push('    <DatabaseObjects>');
  for (const o of s.DatabaseObjects) {
    lines.push('      <DatabaseObject>', el('ObjectType', o.ObjectType, '        '), el('TotalCount', o.TotalCount, '        '),
      el('InvalidCount', o.InvalidCount, '        '), el('ObjectNames', o.ObjectNames, '        '), '      </DatabaseObject>');
  }
  lines.push('    </DatabaseObjects>', '  </Summary>', '  <Issues>');
  for (const i of r.Issues) {
    lines.push('    <Issue>');
    for (const [k, v] of Object.entries(i)) lines.push(el(k, v as string | number, '      '));
    lines.push('    </Issue>');
  }
  lines.push('  </Issues>', '</SchemaAnalysisReport>');
  return lines.join('\n') + '\n';
}
