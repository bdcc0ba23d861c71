/**
 * analyze-schema over what export schema really writes: the kitchen-sink schema (every object kind) is loaded
 * into a private PostgreSQL, exported by the CLI, and analysed. Every exported statement must parse (no
 * UNSUPPORTED_PG_SYNTAX on our own output) and the schema's known YugabyteDB problems must be reported.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { SchemaAnalysisReport } from '../../src/core/schema-analysis/report.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

let cluster: PgCluster;
let exportDir: string;
let db: string;

before(async () => {
  cluster = await PgCluster.start();
  await cluster.query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_user') THEN CREATE ROLE app_user; END IF; END $$");
  db = await cluster.createDatabase('kitchen');
  await cluster.query(fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'schemas', 'kitchen-sink.sql'), 'utf8'), [], db);
  exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-exported-'));
});

after(async () => {
  await cluster?.stop();
  if (exportDir) fs.rmSync(exportDir, { recursive: true, force: true });
});

test('every statement export schema writes parses, and the known problems are reported', async () => {
  const exp = await runCli(['export', 'schema', '--export-dir', exportDir, ...cluster.flags('source', db), '--source-db-schema', 'public,ks'], {
    env: { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD },
  });
  assert.equal(exp.code, 0, exp.stderr);

  const r = await runCli(['analyze-schema', '--export-dir', exportDir, '--output-format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(exportDir, 'reports', 'schema_analysis_report.json'), 'utf8')) as SchemaAnalysisReport;

  assert.deepEqual(report.Issues.filter((i) => i.RuleId === 'UNSUPPORTED_PG_SYNTAX').map((i) => `${i.FilePath}:${i.LineNumber} ${i.Reason}`), []);
  assert.equal(report.Summary.DbName, db);
  assert.match(report.Summary.DbVersion, /^\d+/);
  assert.ok(report.Summary.Notes.some((n) => /bodies were parsed/.test(n)));
  assert.ok(!report.Summary.Notes.some((n) => /text patterns only/.test(n)), 'every exported body parses');

  const fired = new Set(report.Issues.map((i) => `${i.RuleId} ${i.ObjectName}`));
  for (const expected of [
    'UNLOGGED_TABLE ks.scratch',
    'TABLE_INHERITANCE ks.truck',
    'STORED_GENERATED_COLUMN ks.things',
    'EXCLUSION_CONSTRAINT ks.things',
    'DEFERRABLE_CONSTRAINT ks.things',
    'UNSUPPORTED_INDEX_METHOD things_attrs ON ks.things',
    'UNSUPPORTED_INDEX_METHOD things_created_brin ON ks.things',
    'COLLATION_DETERMINISTIC_OPTION ks.case_insensitive',
    'CONSTRAINT_TRIGGER nodes_check ON ks.nodes',
    'REFERENCING_CLAUSE_IN_TRIGGER things_new ON ks.things',
    'SQL_BODY_IN_FUNCTION ks.is_even',
    'SECURITY_INVOKER_VIEW ks.invoker_view',
    'POLICY_WITH_ROLES scratch_mine ON ks.scratch',
  ]) {
    assert.ok(fired.has(expected), `missing: ${expected}`);
  }
  // Storage parameters are reported for real storage options only (not an identity column's sequence options).
  for (const i of report.Issues.filter((x) => x.RuleId === 'STORAGE_PARAMETERS')) assert.doesNotMatch(i.Reason, /IDENTITY|sequence_name/);
});
