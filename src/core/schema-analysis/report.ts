/**
 * The schema analysis report: its JSON shape follows the reference tool's (VoyagerVersion, Summary with
 * DatabaseObjects, Issues with IssueType = category), with a few extra fields (RuleId, Name, LineNumber).
 * Every output format (json, html, txt, xml) renders this one model.
 */
import type { SchemaCatalog } from './catalog.js';
import { CATEGORIES, type IssueCategory, type ParsedStatement, type SchemaIssue } from './types.js';

export interface DatabaseObjectSummary {
  ObjectType: string;
  TotalCount: number;
  InvalidCount: number;
  /** Comma-separated, as in the reference report. */
  ObjectNames: string;
}

export interface ReportIssue {
  IssueType: IssueCategory;
  ObjectType: string;
  ObjectName: string;
  Reason: string;
  SqlStatement: string;
  FilePath: string;
  LineNumber: number;
  Suggestion: string;
  GH: string;
  DocsLink: string;
  RuleId: string;
  Name: string;
}

export interface SchemaAnalysisReport {
  VoyagerVersion: string;
  TargetDBVersion: string;
  GeneratedAt: string;
  Summary: {
    Description: string;
    DbName: string;
    SchemaNames: string[];
    DbVersion: string;
    Notes: string[];
    DatabaseObjects: DatabaseObjectSummary[];
  };
  Issues: ReportIssue[];
}

/** Summary order of object types; others follow alphabetically. */
const OBJECT_TYPE_ORDER = [
  'SCHEMA', 'EXTENSION', 'COLLATION', 'TYPE', 'DOMAIN', 'SEQUENCE', 'TABLE', 'FOREIGN TABLE', 'INDEX', 'FUNCTION',
  'AGGREGATE', 'PROCEDURE', 'VIEW', 'MVIEW', 'TRIGGER', 'RULE', 'POLICY', 'OPERATOR', 'CONVERSION', 'ACCESS METHOD',
];

const typeRank = (t: string) => {
  const i = OBJECT_TYPE_ORDER.indexOf(t);
  return i < 0 ? OBJECT_TYPE_ORDER.length : i;
};

/**
 * Per object type: how many objects the schema defines, how many have issues that block or change the
 * migration (performance advice does not make an object invalid), and their names.
 */
export function summarizeObjects(statements: readonly ParsedStatement[], issues: readonly SchemaIssue[]): DatabaseObjectSummary[] {
  const names = new Map<string, Set<string>>();
  const invalid = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, type: string, name: string) => {
    if (!m.has(type)) m.set(type, new Set());
    m.get(type)!.add(name);
  };
  for (const s of statements) if (s.object && s.defines) add(names, s.object.type, s.object.name);
  for (const i of issues) {
    if (i.category === 'performance_optimizations' || i.objectType === 'UNCATEGORIZED') continue;
    add(names, i.objectType, i.objectName);
    add(invalid, i.objectType, i.objectName);
  }
  return [...names.entries()]
    .sort(([a], [b]) => typeRank(a) - typeRank(b) || a.localeCompare(b))
    .map(([type, set]) => ({
      ObjectType: type,
      TotalCount: set.size,
      InvalidCount: invalid.get(type)?.size ?? 0,
      ObjectNames: [...set].join(', '),
    }));
}

export function countByCategory(issues: readonly SchemaIssue[]): Record<IssueCategory, number> {
  const out = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<IssueCategory, number>;
  for (const i of issues) out[i.category]++;
  return out;
}

/** Schemas the exported objects live in. */
export function schemaNames(catalog: SchemaCatalog, statements: readonly ParsedStatement[]): string[] {
  const out = new Set<string>();
  for (const t of catalog.tables.values()) out.add(t.rel.schema);
  for (const s of statements) {
    const created = s.tree && 'CreateSchemaStmt' in s.tree ? s.tree.CreateSchemaStmt.schemaname : undefined;
    if (created) out.add(created);
  }
  return [...out].sort();
}

export interface ReportInput {
  voyagerVersion: string;
  generatedAt: string;
  dbName?: string;
  /** Source server version and exported schemas, when export schema recorded them. */
  dbVersion?: string;
  schemaNames?: string[];
  statements: readonly ParsedStatement[];
  issues: readonly SchemaIssue[];
  catalog: SchemaCatalog;
  notes: string[];
}

export function buildReport(input: ReportInput): SchemaAnalysisReport {
  return {
    VoyagerVersion: input.voyagerVersion,
    TargetDBVersion: '',
    GeneratedAt: input.generatedAt,
    Summary: {
      Description: 'Objects in the exported schema, and the issues to fix (or accept) before importing it into YugabyteDB',
      DbName: input.dbName ?? '',
      SchemaNames: input.schemaNames?.length ? [...input.schemaNames] : schemaNames(input.catalog, input.statements),
      DbVersion: input.dbVersion ?? '',
      Notes: input.notes,
      DatabaseObjects: summarizeObjects(input.statements, input.issues),
    },
    Issues: input.issues.map((i) => ({
      IssueType: i.category,
      ObjectType: i.objectType,
      ObjectName: i.objectName,
      Reason: i.reason,
      SqlStatement: i.sqlStatement,
      FilePath: i.filePath,
      LineNumber: i.line,
      Suggestion: i.suggestion,
      GH: i.gh,
      DocsLink: i.docsLink,
      RuleId: i.ruleId,
      Name: i.name,
    })),
  };
}
