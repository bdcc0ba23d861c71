/**
 * HTML rendering of the schema analysis report: one self-contained page (inline CSS, no scripts, no
 * network), every value escaped. Issues are grouped by category, then by rule, each with its SQL.
 */
import type { ReportIssue, SchemaAnalysisReport } from '../../core/schema-analysis/report.js';
import { CATEGORIES, CATEGORY_TITLES, type IssueCategory } from '../../core/schema-analysis/types.js';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Only http(s) links become anchors (a report must not carry javascript: URLs from edited files). */
function link(url: string, label: string): string {
  return /^https?:\/\//.test(url) ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(label)}</a>` : '';
}

const CATEGORY_COLORS: Record<IssueCategory, string> = {
  unsupported_features: '#c0392b',
  unsupported_datatypes: '#d35400',
  unsupported_plpgsql_objects: '#8e44ad',
  migration_caveats: '#b7950b',
  performance_optimizations: '#2471a3',
};

const CSS = `
*{box-sizing:border-box}
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;background:#f4f6f8;color:#1f2933;line-height:1.45}
header{background:#1b2a41;color:#fff;padding:24px 40px}
header h1{margin:0 0 6px;font-size:26px;font-weight:600}
header .meta{font-size:14px;color:#c9d3df}
header .meta span{margin-right:22px}
main{max-width:1280px;margin:0 auto;padding:24px 40px 60px}
h2{font-size:20px;margin:34px 0 12px;padding-bottom:6px;border-bottom:2px solid #d9e0e7}
h3{font-size:16px;margin:22px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin-top:8px}
.card{background:#fff;border-radius:8px;padding:12px 16px;border-left:6px solid #999;box-shadow:0 1px 2px rgba(0,0,0,.08);text-decoration:none;color:inherit}
.card .n{font-size:28px;font-weight:700}
.card .t{font-size:13px;color:#52606d}
.card.total{border-left-color:#1b2a41}
table.summary{width:100%;border-collapse:collapse;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08);font-size:14px}
table.summary th{background:#e8edf2;text-align:left;padding:8px 10px;font-weight:600}
table.summary td{padding:7px 10px;border-top:1px solid #e4e8ec;vertical-align:top}
table.summary td.num{text-align:right;width:80px;font-variant-numeric:tabular-nums}
table.summary td.bad{color:#c0392b;font-weight:700}
td.names{color:#3e4c59;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-word}
details.names summary{cursor:pointer;color:#2471a3}
.rule{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08);margin:0 0 16px;overflow:hidden}
.rule>.head{padding:10px 16px;background:#f9fafb;border-bottom:1px solid #e4e8ec;display:flex;justify-content:space-between;align-items:baseline;gap:12px}
.rule>.head .title{font-weight:600}
.rule>.head .id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#616e7c}
.rule>.head .links a{font-size:13px;margin-left:12px}
.rule>.advice{padding:8px 16px;font-size:13.5px;color:#3e4c59;border-bottom:1px solid #eef1f4}
.issue{padding:12px 16px;border-top:1px solid #eef1f4}
.issue:first-of-type{border-top:none}
.issue .obj{font-weight:600}
.issue .obj .type{display:inline-block;font-size:11px;font-weight:700;letter-spacing:.04em;background:#e8edf2;color:#3e4c59;border-radius:4px;padding:1px 6px;margin-right:6px}
.issue .reason{margin:4px 0}
.issue .file{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#616e7c;word-break:break-all}
.issue .fix{margin:4px 0;font-size:13.5px}
.issue .fix b{color:#1e8449}
pre{background:#1f2933;color:#e4e7eb;padding:10px 12px;border-radius:6px;font-size:12.5px;max-height:260px;overflow:auto;white-space:pre-wrap;word-break:break-word;margin:8px 0 0}
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;margin-left:8px;vertical-align:middle}
.none{background:#fff;border-radius:8px;padding:18px;color:#1e8449;font-weight:600;box-shadow:0 1px 2px rgba(0,0,0,.08)}
ul.notes{font-size:13.5px;color:#3e4c59}
a{color:#2471a3}
`;

function summaryTable(r: SchemaAnalysisReport): string {
  const rows = r.Summary.DatabaseObjects.map((o) => {
    const names = o.ObjectNames.split(', ').filter(Boolean);
    const shown = names.length > 12
      ? `<details class="names"><summary>${escapeHtml(names.slice(0, 6).join(', '))} … (${names.length})</summary>${escapeHtml(o.ObjectNames)}</details>`
      : escapeHtml(o.ObjectNames);
    return `<tr><td>${escapeHtml(o.ObjectType)}</td><td class="num">${o.TotalCount}</td><td class="num${o.InvalidCount ? ' bad' : ''}">${o.InvalidCount}</td><td class="names">${shown}</td></tr>`;
  });
  return `<table class="summary"><thead><tr><th>Object type</th><th>Total</th><th>Invalid</th><th>Objects</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function issueBlock(i: ReportIssue): string {
  const fix = i.Suggestion ? `<div class="fix"><b>Fix:</b> ${escapeHtml(i.Suggestion)}</div>` : '';
  return `<div class="issue">
<div class="obj"><span class="type">${escapeHtml(i.ObjectType)}</span>${escapeHtml(i.ObjectName)}</div>
<div class="reason">${escapeHtml(i.Reason)}</div>
${fix}
<div class="file">${escapeHtml(i.FilePath)}:${i.LineNumber}</div>
<pre>${escapeHtml(i.SqlStatement)}</pre>
</div>`;
}

function categorySection(c: IssueCategory, issues: readonly ReportIssue[]): string {
  const byRule = new Map<string, ReportIssue[]>();
  for (const i of issues) {
    if (!byRule.has(i.RuleId)) byRule.set(i.RuleId, []);
    byRule.get(i.RuleId)!.push(i);
  }
  const rules = [...byRule.values()].map((list) => {
    const first = list[0];
    // A rule's generic advice is shown once; issue-specific fixes stay with their issue.
    const generic = list.every((i) => i.Suggestion === first.Suggestion);
    const links = [link(first.DocsLink, 'docs'), link(first.GH, 'GitHub issue')].filter(Boolean).join('');
    const blocks = list.map((i) => issueBlock(generic ? { ...i, Suggestion: '' } : i)).join('\n');
    return `<div class="rule">
<div class="head"><div><span class="title">${escapeHtml(first.Name)}</span> <span class="id">${escapeHtml(first.RuleId)} · ${list.length}</span></div><div class="links">${links}</div></div>
${generic && first.Suggestion ? `<div class="advice"><b>Fix:</b> ${escapeHtml(first.Suggestion)}</div>` : ''}
${blocks}
</div>`;
  });
  return `<h2 id="${c}">${escapeHtml(CATEGORY_TITLES[c])}<span class="badge" style="background:${CATEGORY_COLORS[c]}">${issues.length}</span></h2>\n${rules.join('\n')}`;
}

export function renderHtmlReport(r: SchemaAnalysisReport): string {
  const meta = [
    `<span>Voyager ${escapeHtml(r.VoyagerVersion)}</span>`,
    `<span>Generated ${escapeHtml(r.GeneratedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</span>`,
    r.Summary.DbName ? `<span>Database ${escapeHtml(r.Summary.DbName)}</span>` : '',
    r.Summary.DbVersion ? `<span>PostgreSQL ${escapeHtml(r.Summary.DbVersion)}</span>` : '',
    r.Summary.SchemaNames.length ? `<span>Schemas ${escapeHtml(r.Summary.SchemaNames.join(', '))}</span>` : '',
  ].join('');
  const cards = [
    `<div class="card total"><div class="n">${r.Issues.length}</div><div class="t">issues in total</div></div>`,
    ...CATEGORIES.map((c) => {
      const n = r.Issues.filter((i) => i.IssueType === c).length;
      return `<a class="card" href="#${c}" style="border-left-color:${CATEGORY_COLORS[c]}"><div class="n">${n}</div><div class="t">${escapeHtml(CATEGORY_TITLES[c])}</div></a>`;
    }),
  ].join('');
  const sections = CATEGORIES.map((c) => {
    const list = r.Issues.filter((i) => i.IssueType === c);
    return list.length ? categorySection(c, list) : '';
  }).join('\n');
  const notes = r.Summary.Notes.length ? `<h2>Notes</h2><ul class="notes">${r.Summary.Notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Schema Analysis Report</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>Schema Analysis Report</h1><div class="meta">${meta}</div></header>
<main>
<div class="cards">${cards}</div>
<h2>Database objects</h2>
${summaryTable(r)}
${r.Issues.length ? sections : '<h2>Issues</h2><div class="none">No issues found: the schema is ready to import.</div>'}
${notes}
</main>
</body>
</html>
`;
}
