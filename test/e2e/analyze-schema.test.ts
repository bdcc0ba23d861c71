/**
 * analyze-schema end to end: a fixture export dir (test/fixtures/analyze/schema, written the way export schema
 * writes it, with many kinds of issues) analysed by the real CLI in every output format, then the spec's
 * loop: edit the files, rerun, and the fixed issues are gone from the fresh report.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SchemaAnalysisReport } from '../../src/core/schema-analysis/report.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { assertWellFormedXml } from '../helpers/xml-check.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'analyze', 'schema');

/** Rules the fixture is written to trigger (each at least once). */
const EXPECTED_RULES = [
  'UNSUPPORTED_PG_SYNTAX', 'UNLOGGED_TABLE', 'TABLE_INHERITANCE', 'STORED_GENERATED_COLUMN', 'STORAGE_PARAMETERS',
  'EXCLUSION_CONSTRAINT', 'DEFERRABLE_CONSTRAINT', 'UNIQUE_NULLS_NOT_DISTINCT', 'PK_UK_ON_UNSUPPORTED_TYPE',
  'FOREIGN_KEY_REFERENCES_PARTITIONED_TABLE', 'ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE', 'ALTER_TABLE_CLUSTER_ON',
  'ALTER_TABLE_DISABLE_RULE', 'UNSUPPORTED_INDEX_METHOD', 'MULTI_COLUMN_GIN_INDEX', 'INDEX_ON_UNSUPPORTED_TYPE',
  'UNSUPPORTED_DATATYPE', 'UNSUPPORTED_DATATYPE_LIVE_MIGRATION', 'UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FALL_BACK',
  'TABLE_WITHOUT_PRIMARY_KEY', 'CONSTRAINT_TRIGGER', 'REFERENCING_CLAUSE_IN_TRIGGER', 'BEFORE_ROW_TRIGGER_ON_PARTITIONED_TABLE',
  'SQL_BODY_IN_FUNCTION', 'LANGUAGE_C_FUNCTION', 'REFERENCED_TYPE_DECLARATION', 'ADVISORY_LOCKS', 'SYSTEM_COLUMNS',
  'LISTEN_NOTIFY', 'MERGE_STATEMENT', 'LARGE_OBJECT_FUNCTIONS', 'XML_FUNCTIONS', 'FETCH_WITH_TIES', 'POLICY_WITH_ROLES',
  'SECURITY_INVOKER_VIEW', 'VIEW_WITH_CHECK_OPTION', 'COLLATION_DETERMINISTIC_OPTION', 'UNSUPPORTED_EXTENSION',
  'HOTSPOT_ON_TIMESTAMP_KEY', 'REDUNDANT_INDEX', 'MISSING_FOREIGN_KEY_INDEX',
];

function copyDir(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) copyDir(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

function editFile(file: string, edit: (text: string) => string): void {
  const before = fs.readFileSync(file, 'utf8');
  const after = edit(before);
  assert.notEqual(after, before, `edit of ${file} changed nothing`);
  fs.writeFileSync(file, after);
}

describe('analyze-schema (CLI)', () => {
  let exportDir: string;
  const analyze = (format: string) => runCli(['analyze-schema', '--export-dir', exportDir, '--output-format', format]);
  const readJson = () => JSON.parse(fs.readFileSync(path.join(exportDir, 'reports', 'schema_analysis_report.json'), 'utf8')) as SchemaAnalysisReport;

  before(() => {
    exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-e2e-'));
    copyDir(FIXTURE, path.join(exportDir, 'schema'));
  });
  after(() => fs.rmSync(exportDir, { recursive: true, force: true }));

  test('json: every expected rule fires, with file, object and SQL from the statement', async () => {
    const r = await analyze('json');
    assert.equal(r.code, 0, r.stderr);
    const reportPath = path.join(exportDir, 'reports', 'schema_analysis_report.json');
    assert.match(r.stdout, new RegExp(`Schema analysis report: ${reportPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(r.stdout, /Unsupported features +\d+ +\(unsupported_features\)/);

    const report = readJson();
    const fired = new Set(report.Issues.map((i) => i.RuleId));
    const missing = EXPECTED_RULES.filter((id) => !fired.has(id));
    assert.deepEqual(missing, [], 'rules the fixture should trigger');
    assert.ok(fired.size >= 40, `only ${fired.size} distinct rules fired`);

    const broken = report.Issues.find((i) => i.RuleId === 'UNSUPPORTED_PG_SYNTAX')!;
    assert.equal(broken.ObjectName, 'shop.broken');
    assert.equal(broken.FilePath, path.join(exportDir, 'schema', 'uncategorized', 'uncategorized.sql'));
    assert.equal(broken.LineNumber, 5);
    assert.match(broken.SqlStatement, /^CREATE TABLE shop\.broken/);

    const lock = report.Issues.find((i) => i.RuleId === 'ADVISORY_LOCKS' && i.ObjectName === 'shop.next_order_number')!;
    assert.equal(lock.IssueType, 'unsupported_plpgsql_objects');
    assert.equal(lock.ObjectType, 'FUNCTION');
    assert.match(lock.Reason, /pg_advisory_xact_lock/);
    assert.match(lock.DocsLink, /^https:\/\/docs\.yugabyte\.com\//);
    // The body that does not parse is still checked, by pattern, and the report says so.
    const byPattern = report.Issues.find((i) => i.RuleId === 'ADVISORY_LOCKS' && i.ObjectName === 'shop.broken_body')!;
    assert.match(byPattern.Reason, /text pattern/);
    assert.ok(report.Summary.Notes.some((n) => /shop\.broken_body was checked with text patterns/.test(n)));

    const tables = report.Summary.DatabaseObjects.find((o) => o.ObjectType === 'TABLE')!;
    assert.equal(tables.TotalCount, 13);
    assert.ok(tables.InvalidCount > 0 && tables.InvalidCount < tables.TotalCount);
    assert.match(tables.ObjectNames, /"Audit Log"\.events/);
    assert.deepEqual(report.Summary.SchemaNames, ['Audit Log', 'shop']);
    assert.ok(report.Summary.DatabaseObjects.some((o) => o.ObjectType === 'TRIGGER' && o.TotalCount === 4));
  });

  test('html: one readable, self-contained page with every issue and its SQL escaped', async () => {
    const r = await analyze('html');
    assert.equal(r.code, 0, r.stderr);
    const html = fs.readFileSync(path.join(exportDir, 'reports', 'schema_analysis_report.html'), 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<style>/);
    assert.doesNotMatch(html, /<script|<link /i);
    for (const id of EXPECTED_RULES) assert.ok(html.includes(id), `html lacks ${id}`);
    assert.match(html, /CREATE TABLE &quot;Audit Log&quot;\.events/);
    assert.match(html, /Database objects/);
  });

  test('txt and xml carry the same issues', async () => {
    const count = readJson().Issues.length;
    const t = await analyze('txt');
    assert.equal(t.code, 0, t.stderr);
    const txt = fs.readFileSync(path.join(exportDir, 'reports', 'schema_analysis_report.txt'), 'utf8');
    assert.match(txt, new RegExp(`^Issues: ${count}$`, 'm'));
    assert.match(txt, /\[UNLOGGED_TABLE\] TABLE shop\.order_notes/);

    const x = await analyze('xml');
    assert.equal(x.code, 0, x.stderr);
    const xml = fs.readFileSync(path.join(exportDir, 'reports', 'schema_analysis_report.xml'), 'utf8');
    assertWellFormedXml(xml);
    assert.equal(xml.match(/<Issue>/g)?.length, count);
  });

  test('the loop: fixing statements in the files and rerunning drops those issues', async () => {
    const first = readJson();
    const schema = path.join(exportDir, 'schema');
    editFile(path.join(schema, 'tables', 'tables.sql'), (t) => t.replace('CREATE UNLOGGED TABLE shop.order_notes', 'CREATE TABLE shop.order_notes').replace(',\n    body xml\n', '\n'));
    editFile(path.join(schema, 'uncategorized', 'uncategorized.sql'), (t) => t.replace('PRIMARY KEY,, name', 'PRIMARY KEY, name'));
    editFile(path.join(schema, 'indexes', 'indexes.sql'), (t) => t.replace(/-- index: shop\.places_geom_idx\n[^\n]+\n/, ''));

    const r = await analyze('json');
    assert.equal(r.code, 0, r.stderr);
    const second = readJson();
    const ids = (rep: SchemaAnalysisReport) => rep.Issues.map((i) => `${i.RuleId} ${i.ObjectName}`);
    for (const gone of ['UNLOGGED_TABLE shop.order_notes', 'UNSUPPORTED_DATATYPE shop.order_notes', 'UNSUPPORTED_PG_SYNTAX shop.broken', 'UNSUPPORTED_INDEX_METHOD places_geom_idx ON shop.places']) {
      assert.ok(ids(first).includes(gone), `first report has ${gone}`);
      assert.ok(!ids(second).includes(gone), `fresh report still has ${gone}`);
    }
    // Everything not edited is still reported, and the fixed statement now counts as a valid table.
    assert.ok(ids(second).includes('TABLE_INHERITANCE shop.special_orders'));
    assert.ok(ids(second).includes('TABLE_WITHOUT_PRIMARY_KEY shop.order_notes'));
    assert.equal(second.Issues.length, first.Issues.length - 4);
    assert.ok(Date.parse(second.GeneratedAt) >= Date.parse(first.GeneratedAt));
  });

  test('an export dir without schema files is refused with the next step named', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-empty-'));
    try {
      const r = await runCli(['analyze-schema', '--export-dir', empty, '--output-format', 'json']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /no exported schema .*export schema/);
      assert.equal(fs.existsSync(path.join(empty, 'reports', 'schema_analysis_report.json')), false);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
