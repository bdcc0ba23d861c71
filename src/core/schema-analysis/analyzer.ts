/**
 * Runs every rule over every parsed statement and turns findings into issues. Statements that did not parse
 * become UNSUPPORTED_PG_SYNTAX issues: a statement PostgreSQL 18's own parser rejects will not import either.
 */
import { SchemaCatalog } from './catalog.js';
import { ALL_RULES } from './rules/index.js';
import { CATEGORIES, KNOWN_ISSUES_PAGE, type Finding, type ObjectRef, type ParsedStatement, type Rule, type SchemaIssue } from './types.js';

export const UNSUPPORTED_PG_SYNTAX = {
  id: 'UNSUPPORTED_PG_SYNTAX',
  name: 'Statement the PostgreSQL parser rejects',
  category: 'unsupported_features',
  suggestion: 'fix the statement so that PostgreSQL accepts it (it was probably edited by hand or written for another database), then rerun analyze-schema',
  docsLink: KNOWN_ISSUES_PAGE,
} as const;

export interface RuleFailure {
  ruleId: string;
  filePath: string;
  line: number;
  error: string;
}

export interface AnalysisResult {
  issues: SchemaIssue[];
  catalog: SchemaCatalog;
  /** Rules that threw on a statement (a bug in the rule): reported, never silently dropped. */
  ruleFailures: RuleFailure[];
}

/** A best-effort object for a statement the parser rejected (there is no tree to name it from). */
export function guessObject(sql: string): ObjectRef {
  const m = /^\s*(?:CREATE|ALTER)\s+(?:OR\s+REPLACE\s+)?(?:(?:UNIQUE|UNLOGGED|TEMP|TEMPORARY|MATERIALIZED|FOREIGN|CONSTRAINT)\s+)*(TABLE|INDEX|VIEW|FUNCTION|PROCEDURE|TRIGGER|SEQUENCE|TYPE|DOMAIN|SCHEMA|EXTENSION|POLICY|RULE|AGGREGATE)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:CONCURRENTLY\s+)?(?:ONLY\s+)?("(?:[^"]|"")+"|[\w$.]+(?:\."(?:[^"]|"")+")?)/i.exec(sql);
  if (m) return { type: m[1].toUpperCase(), name: m[2] };
  const first = /^\s*(\w+(?:\s+\w+)?)/.exec(sql);
  return { type: 'UNCATEGORIZED', name: first ? first[1].toUpperCase() : '' };
}

type IssueOverrides = Pick<Finding, 'suggestion' | 'category' | 'docsLink' | 'gh'>;

function issueFrom(rule: Pick<Rule, 'id' | 'name' | 'category' | 'suggestion' | 'docsLink' | 'gh'>, stmt: ParsedStatement, object: ObjectRef, reason: string, overrides: IssueOverrides = {}): SchemaIssue {
  return {
    ruleId: rule.id,
    name: rule.name,
    category: overrides.category ?? rule.category,
    objectType: object.type,
    objectName: object.name,
    reason,
    sqlStatement: stmt.sql,
    filePath: stmt.filePath,
    line: stmt.line,
    suggestion: overrides.suggestion ?? rule.suggestion,
    gh: overrides.gh ?? rule.gh ?? '',
    docsLink: overrides.docsLink ?? rule.docsLink ?? '',
  };
}

export function analyzeStatements(statements: readonly ParsedStatement[], rules: readonly Rule[] = ALL_RULES): AnalysisResult {
  const catalog = SchemaCatalog.fromTrees(statements.map((s) => s.tree));
  const issues: SchemaIssue[] = [];
  const ruleFailures: RuleFailure[] = [];
  for (const stmt of statements) {
    if (!stmt.tree) {
      const reason = `the PostgreSQL parser rejects this statement: ${stmt.parseError ?? 'syntax error'}`;
      issues.push(issueFrom(UNSUPPORTED_PG_SYNTAX, stmt, stmt.object ?? guessObject(stmt.sql), reason));
      continue;
    }
    for (const rule of rules) {
      let findings;
      try {
        findings = rule.check(stmt, catalog);
      } catch (err) {
        ruleFailures.push({ ruleId: rule.id, filePath: stmt.filePath, line: stmt.line, error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      for (const f of findings) {
        const object = f.object ?? stmt.object ?? { type: 'UNCATEGORIZED', name: '' };
        issues.push(issueFrom(rule, stmt, object, f.reason, f));
      }
    }
  }
  return { issues: sortIssues(issues), catalog, ruleFailures };
}

/** Report order: category, then file and position, then rule. */
export function sortIssues(issues: SchemaIssue[]): SchemaIssue[] {
  const rank = (c: string) => CATEGORIES.indexOf(c as (typeof CATEGORIES)[number]);
  return [...issues].sort(
    (a, b) => rank(a.category) - rank(b.category) || a.filePath.localeCompare(b.filePath) || a.line - b.line || a.ruleId.localeCompare(b.ruleId),
  );
}
