import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeStatements } from '../../../src/core/schema-analysis/analyzer.js';
import { buildReport, type SchemaAnalysisReport } from '../../../src/core/schema-analysis/report.js';
import { parseSchemaText } from '../../../src/workflows/analyze-schema.js';
import { renderSchemaReport } from '../../../src/workflows/schema-report/render.js';
import { assertWellFormedXml } from '../../helpers/xml-check.js';
import { useParser } from './rule-test-kit.js';

useParser();

const HOSTILE = "CREATE VIEW s.\"</pre><script>alert(1)</script>\" AS SELECT ctid, '<b>&amp;\u0001' AS x FROM s.t;";

function report(sql: string): SchemaAnalysisReport {
  const stmts = parseSchemaText(sql, '/x/schema/views/views.sql');
  const { issues, catalog } = analyzeStatements(stmts);
  return buildReport({ voyagerVersion: '9.9.9', generatedAt: '2026-01-02T03:04:05.000Z', dbName: 'shop', statements: stmts, issues, catalog, notes: ['a <note>'] });
}

test('json keeps the reference report\'s field names', () => {
  const r = JSON.parse(renderSchemaReport(report(HOSTILE), 'json')) as SchemaAnalysisReport;
  assert.equal(r.VoyagerVersion, '9.9.9');
  assert.equal(r.Summary.DbName, 'shop');
  assert.deepEqual(Object.keys(r.Summary.DatabaseObjects[0]), ['ObjectType', 'TotalCount', 'InvalidCount', 'ObjectNames']);
  const issue = r.Issues.find((i) => i.RuleId === 'SYSTEM_COLUMNS')!;
  for (const k of ['IssueType', 'ObjectType', 'ObjectName', 'Reason', 'SqlStatement', 'FilePath', 'Suggestion', 'GH', 'DocsLink']) assert.ok(k in issue, k);
  assert.equal(issue.IssueType, 'unsupported_features');
  assert.equal(issue.FilePath, '/x/schema/views/views.sql');
});

test('html is self-contained and escapes everything taken from the schema', () => {
  const html = renderSchemaReport(report(HOSTILE), 'html');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /&lt;\/pre&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /&lt;b&gt;&amp;amp;/);
  assert.match(html, /<style>/);
  assert.doesNotMatch(html, /<link |src="http/);
  assert.match(html, /a &lt;note&gt;/);
  assert.match(html, /System columns/);
});

test('html says so when there are no issues', () => {
  const html = renderSchemaReport(report('CREATE TABLE s.t (id int PRIMARY KEY);'), 'html');
  assert.match(html, /No issues found/);
});

test('xml is well formed even with markup and control characters in the SQL', () => {
  const xml = renderSchemaReport(report(HOSTILE), 'xml');
  assertWellFormedXml(xml);
  assert.match(xml, /<RuleId>SYSTEM_COLUMNS<\/RuleId>/);
  assert.match(xml, /<ObjectType>VIEW<\/ObjectType>/);
});

test('txt lists each issue with its rule, file and line, and the SQL', () => {
  const txt = renderSchemaReport(report('\n\nCREATE UNLOGGED TABLE s.t (id int PRIMARY KEY);'), 'txt');
  assert.match(txt, /1\. \[UNLOGGED_TABLE\] TABLE s\.t/);
  assert.match(txt, /File: +\/x\/schema\/views\/views\.sql:3/);
  assert.match(txt, /CREATE UNLOGGED TABLE s\.t/);
  assert.match(txt, /unsupported_features +1/);
});
