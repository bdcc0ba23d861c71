/**
 * Helpers for rule tests: parse SQL with the real PostgreSQL parser (no mocks), run one rule over every
 * statement, and assert what it reports.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadSqlParser } from '../../../src/core/schema-analysis/sql-parser.js';
import { analyzeStatements } from '../../../src/core/schema-analysis/analyzer.js';
import type { Rule, SchemaIssue } from '../../../src/core/schema-analysis/types.js';
import { parseSchemaText } from '../../../src/workflows/analyze-schema.js';

export function useParser(): void {
  before(async () => {
    await loadSqlParser();
  });
}

/** Issues `rule` reports for `sql` (all statements of `sql` feed the catalog). */
export function run(rule: Rule, sql: string): SchemaIssue[] {
  const statements = parseSchemaText(sql, 'test.sql');
  const unparsed = statements.filter((s) => !s.tree);
  assert.equal(unparsed.length, 0, `test SQL must parse: ${unparsed.map((s) => s.parseError).join('; ')}`);
  const { issues, ruleFailures } = analyzeStatements(statements, [rule]);
  assert.deepEqual(ruleFailures, []);
  return issues;
}

export interface RuleCases {
  /** SQL that must produce exactly one issue whose reason matches the pattern. */
  reports: [sql: string, reason: RegExp][];
  /** SQL that must produce no issue. */
  ignores: string[];
}

/** One test per case, named after the rule. */
export function ruleCases(rule: Rule, cases: RuleCases): void {
  cases.reports.forEach(([sql, reason], n) => {
    test(`${rule.id} reports case ${n + 1}`, () => {
      const issues = run(rule, sql);
      assert.equal(issues.length, 1, `expected one issue, got: ${JSON.stringify(issues.map((i) => i.reason))}`);
      assert.match(issues[0].reason, reason);
      assert.equal(issues[0].ruleId, rule.id);
      assert.ok(issues[0].suggestion.length > 0, 'every issue has a suggestion');
    });
  });
  cases.ignores.forEach((sql, n) => {
    test(`${rule.id} ignores case ${n + 1}`, () => {
      assert.deepEqual(run(rule, sql).map((i) => i.reason), []);
    });
  });
}
