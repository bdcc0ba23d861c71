/**
 * analyze-schema: read every schema/**\/*.sql file of the export dir, parse each statement with PostgreSQL's
 * parser, run the rules, and write reports/schema_analysis_report.<format>. No database connection: the
 * files are the truth, so that editing them and rerunning gives a fresh report (the spec's loop).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSqlParser, parseSql, readRoutineBody } from '../core/schema-analysis/sql-parser.js';
import { analyzeStatements, sortIssues, type RuleFailure } from '../core/schema-analysis/analyzer.js';
import { objectOf } from '../core/schema-analysis/object-identity.js';
import { buildReport, countByCategory, type SchemaAnalysisReport } from '../core/schema-analysis/report.js';
import { sourceFindingIssues } from '../core/schema-analysis/source-findings.js';
import type { IssueCategory, ParsedStatement, SchemaIssue } from '../core/schema-analysis/types.js';
import { parseSchemaFile } from '../core/schema-files.js';
import type { ExportDir } from '../export-dir/layout.js';
import { UserError } from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';
import { renderSchemaReport, REPORT_FORMATS, type ReportFormat } from './schema-report/render.js';

export { REPORT_FORMATS, type ReportFormat };

/** The order export schema writes object types in; files of other names follow alphabetically. */
const OBJECT_TYPE_DIRS = [
  'extensions', 'schemas', 'collations', 'types', 'domains', 'sequences', 'tables', 'partitions', 'fkeys', 'indexes',
  'functions', 'aggregates', 'procedures', 'views', 'mviews', 'triggers', 'rules', 'policies', 'comments', 'uncategorized',
];

/** Files import schema writes into schema/ that are not part of the exported schema. */
const NOT_SCHEMA = new Set(['failed.sql']);

export function listSchemaFiles(schemaDir: string): string[] {
  const out: string[] = [];
  const walkDir = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walkDir(p);
      else if (e.isFile() && e.name.endsWith('.sql') && !(dir === schemaDir && NOT_SCHEMA.has(e.name))) out.push(p);
    }
  };
  walkDir(schemaDir);
  const rank = (p: string) => {
    const top = path.relative(schemaDir, p).split(path.sep)[0];
    const i = OBJECT_TYPE_DIRS.indexOf(top);
    return i < 0 ? OBJECT_TYPE_DIRS.length : i;
  };
  return out.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * Split a file's text into statements (the same splitter import schema uses, so both see the same statements)
 * and parse each one on its own: a statement that fails does not hide the others.
 */
export function parseSchemaText(text: string, filePath: string): ParsedStatement[] {
  const out: ParsedStatement[] = [];
  for (const split of parseSchemaFile(text)) {
    const piece = { sql: `${split.sql};`, line: split.line };
    const r = parseSql(piece.sql);
    if (!r.ok) {
      out.push({ sql: piece.sql, filePath, line: piece.line, parseError: r.error, defines: false });
      continue;
    }
    for (const p of r.statements) {
      const sql = r.statements.length === 1 ? piece.sql : p.sql;
      const object = objectOf(p.tree);
      out.push({
        sql,
        filePath,
        line: piece.line,
        tree: p.tree,
        object: object ? { type: object.type, name: object.name } : undefined,
        defines: object?.defines ?? false,
        body: readRoutineBody(p.tree, sql),
      });
    }
  }
  return out;
}

export interface AnalyzeSchemaDeps {
  exportDir: ExportDir;
  log: Logger;
}

export interface AnalyzeSchemaOptions {
  format: ReportFormat;
  voyagerVersion: string;
  /** Source database name, server version and schemas, when export schema recorded them. */
  dbName?: string;
  dbVersion?: string;
  schemaNames?: string[];
}

export interface AnalyzeSchemaResult {
  reportPath: string;
  report: SchemaAnalysisReport;
  files: number;
  statements: number;
  issuesByCategory: Record<IssueCategory, number>;
  ruleFailures: RuleFailure[];
}

export async function analyzeSchema(deps: AnalyzeSchemaDeps, options: AnalyzeSchemaOptions): Promise<AnalyzeSchemaResult> {
  const { exportDir, log } = deps;
  const files = listSchemaFiles(exportDir.schemaDir);
  if (!files.length) {
    throw new UserError(
      `no exported schema in ${exportDir.schemaDir} (no .sql files)`,
      `run 'yb-voyager export schema --export-dir ${exportDir.root} …' first`,
      'not-found',
    );
  }
  await loadSqlParser();
  const statements: ParsedStatement[] = [];
  const fromExport: SchemaIssue[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    // What export schema found while converting another database's schema (findings written into the file).
    fromExport.push(...sourceFindingIssues(text, file, parseSchemaFile(text)));
    const parsed = parseSchemaText(text, file);
    log.debug('parsed schema file', { file, statements: parsed.length, unparsable: parsed.filter((s) => !s.tree).length });
    statements.push(...parsed);
  }

  const analysed = analyzeStatements(statements);
  const { catalog, ruleFailures } = analysed;
  const issues = sortIssues([...analysed.issues, ...fromExport]);
  for (const f of ruleFailures) log.error('schema analysis rule failed on a statement', { ...f });

  const report = buildReport({
    voyagerVersion: options.voyagerVersion,
    generatedAt: new Date().toISOString(),
    dbName: options.dbName,
    dbVersion: options.dbVersion,
    schemaNames: options.schemaNames,
    statements,
    issues,
    catalog,
    notes: bodyNotes(statements),
  });
  const reportPath = exportDir.reportFile(`schema_analysis_report.${options.format}`);
  writeAtomically(reportPath, renderSchemaReport(report, options.format));
  log.info('schema analysis report written', { reportPath, files: files.length, statements: statements.length, issues: issues.length });
  return { reportPath, report, files: files.length, statements: statements.length, issuesByCategory: countByCategory(issues), ruleFailures };
}

/** Notes on how routine bodies were read, so a reader knows where the analysis is weaker. */
function bodyNotes(statements: readonly ParsedStatement[]): string[] {
  const notes: string[] = [];
  const withBody = statements.filter((s) => s.body);
  const byRegex = withBody.filter((s) => s.body?.analysis === 'regex');
  const opaque = withBody.filter((s) => s.body?.analysis === 'none');
  const parsed = withBody.length - byRegex.length - opaque.length;
  if (withBody.length) {
    notes.push(`${parsed} of ${withBody.length} function/procedure/DO bodies were parsed (PL/pgSQL bodies with PostgreSQL's PL/pgSQL parser, every embedded statement and expression with its SQL parser).`);
  }
  for (const s of byRegex) {
    notes.push(`The body of ${s.object?.type.toLowerCase() ?? 'routine'} ${s.object?.name ?? ''} was checked with text patterns only (${s.body?.note ?? 'not parsed'}).`);
  }
  for (const s of opaque) notes.push(`The body of ${s.object?.type.toLowerCase() ?? 'routine'} ${s.object?.name ?? ''} (LANGUAGE ${s.body?.language}) is not analysed.`);
  notes.push('Dynamic SQL built at run time (EXECUTE of a string) is not analysed.');
  return notes;
}

/** Write through a temporary file and rename, so a reader never sees half a report. */
function writeAtomically(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}
