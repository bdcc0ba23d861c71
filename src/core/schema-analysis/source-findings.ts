/**
 * Findings that export schema made while converting another database's schema (MySQL/MariaDB, Oracle) into
 * PostgreSQL DDL. What the source had (a case-insensitive collation, a zero-date default, a trigger in
 * MySQL's language) is no longer visible in the converted statements, so export schema writes each finding
 * as a `-- yb-voyager finding RULE | TYPE | name | reason` line above the statement it concerns (or above
 * the commented-out source text of an object it could not convert). analyze-schema reads these lines from
 * the files like everything else: delete a line once its problem is dealt with, and the next report no
 * longer shows it.
 */
import { FINDING_PREFIX, NOT_CONVERTED_PREFIX, type ParsedStatement as SplitStatement } from '../schema-files.js';
import type { IssueCategory, SchemaIssue } from './types.js';

interface SourceRule {
  readonly name: string;
  readonly category: IssueCategory;
  readonly suggestion: string;
}

const MYSQL_DOCS = 'docs/export-schema.md#mysql-and-mariadb-sources';
const ORACLE_DOCS = 'docs/oracle.md#export-schema';

/** Every finding export schema writes for MySQL/MariaDB sources, by id. */
export const SOURCE_FINDING_RULES: Readonly<Record<string, SourceRule>> = {
  MYSQL_TRIGGER_NOT_CONVERTED: {
    name: 'MySQL trigger not converted',
    category: 'unsupported_plpgsql_objects',
    suggestion: 'rewrite the trigger as a PL/pgSQL trigger function plus CREATE TRIGGER (its MySQL text is kept in the file, commented), or drop it if the application no longer needs it',
  },
  MYSQL_ROUTINE_NOT_CONVERTED: {
    name: 'MySQL procedure or function not converted',
    category: 'unsupported_plpgsql_objects',
    suggestion: 'rewrite the routine in PL/pgSQL (its MySQL text is kept in the file, commented)',
  },
  MYSQL_VIEW_NOT_CONVERTED: {
    name: 'MySQL view not converted',
    category: 'unsupported_features',
    suggestion: 'rewrite the view in PostgreSQL SQL (its MySQL text is kept in the file, commented)',
  },
  MYSQL_CASE_INSENSITIVE_KEY: {
    name: 'Key on a case-insensitive collation',
    category: 'migration_caveats',
    suggestion: "PostgreSQL compares text case-sensitively: 'a' and 'A' become distinct keys there and collide when written back to MySQL at fall-back; keep such values unique case-insensitively in the application, or add a unique index on lower(column) on the target",
  },
  MYSQL_ZERO_DATE_DEFAULT: {
    name: 'Zero-date default',
    category: 'unsupported_datatypes',
    suggestion: "PostgreSQL has no zero date: the default was left out; choose a real default (or NULL) and update rows holding zero dates on the source before the data export",
  },
  MYSQL_UNSIGNED_BIGINT: {
    name: 'BIGINT UNSIGNED',
    category: 'unsupported_datatypes',
    suggestion: 'the column became numeric(20,0) with a range CHECK (PostgreSQL has no unsigned 64-bit integer); if no value exceeds 9223372036854775807, change it to bigint for speed',
  },
  MYSQL_PREFIX_INDEX: {
    name: 'Prefix index',
    category: 'performance_optimizations',
    suggestion: 'the index became an expression index on left(column, n): queries use it only when they filter on that same expression; index the whole column instead if queries filter on the column',
  },
  MYSQL_FULLTEXT_INDEX: {
    name: 'FULLTEXT index',
    category: 'unsupported_features',
    suggestion: "the index became a GIN index on to_tsvector('simple', …): rewrite MATCH … AGAINST queries as to_tsvector('simple', …) @@ plainto_tsquery('simple', …)",
  },
  MYSQL_SPATIAL_TYPE: {
    name: 'Spatial data type',
    category: 'unsupported_datatypes',
    suggestion: 'spatial columns are not migrated (export data refuses them): the column was created as bytea; install PostGIS on the target and change it to a geometry type, or drop the column',
  },
  MYSQL_SPATIAL_INDEX: {
    name: 'SPATIAL index',
    category: 'unsupported_features',
    suggestion: 'recreate it as a GiST index once the column is a PostGIS geometry',
  },
  MYSQL_ENUM_EMPTY_VALUE: {
    name: "ENUM index-0 '' value",
    category: 'migration_caveats',
    suggestion: "MySQL stores an invalid ENUM value as '' (index 0) outside strict mode, which the PostgreSQL enum does not accept: find such rows with SELECT … WHERE col = 0 and fix them before the data export",
  },
  MYSQL_SET_TYPE: {
    name: 'SET column',
    category: 'unsupported_datatypes',
    suggestion: "the column became text holding the comma-separated members; add a CHECK or change it to text[] if the members must be validated on the target",
  },
  MYSQL_TIME_RANGE: {
    name: 'TIME outside a day',
    category: 'migration_caveats',
    suggestion: "MySQL TIME holds durations from -838:59:59 to 838:59:59, PostgreSQL time only 00:00:00–24:00:00: check the source has no negative or longer values, or change the column to interval",
  },
  MYSQL_GENERATED_COLUMN_NOT_CONVERTED: {
    name: 'Generated column not converted',
    category: 'unsupported_features',
    suggestion: 'the column became a plain column whose values are copied from the source; add GENERATED ALWAYS AS (…) STORED with the expression written in PostgreSQL, or a trigger',
  },
  MYSQL_EXPRESSION_NOT_CONVERTED: {
    name: 'Expression not converted',
    category: 'unsupported_features',
    suggestion: 'the default or CHECK constraint was left out: write it in PostgreSQL and add it with ALTER TABLE',
  },
  MYSQL_PARTITIONING_NOT_CONVERTED: {
    name: 'Partitioning not converted',
    category: 'unsupported_features',
    suggestion: 'the table was created unpartitioned: partition it on the target by hand (PostgreSQL partitions on columns, not on expressions such as YEAR(d))',
  },
  MYSQL_STORAGE_ENGINE: {
    name: 'Non-transactional storage engine',
    category: 'migration_caveats',
    suggestion: 'MyISAM/MEMORY/ARIA tables have no transactions, so a consistent snapshot and exact change capture are not possible: convert the table to InnoDB on the source (ALTER TABLE … ENGINE=InnoDB) before the data export',
  },
  MYSQL_TYPE_NOT_LOSSLESS: {
    name: 'Type not carried losslessly',
    category: 'unsupported_datatypes',
    suggestion: 'check the column type on the target and change it if the values need it',
  },
  ORACLE_PLSQL_NOT_CONVERTED: {
    name: 'Oracle PL/SQL not converted',
    category: 'unsupported_plpgsql_objects',
    suggestion: 'rewrite the object in PL/pgSQL (its Oracle text is kept in the file, commented); Debian\'s ora2pg (-i file) can draft a conversion',
  },
  ORACLE_VIEW_NOT_CONVERTED: {
    name: 'Oracle view not converted',
    category: 'unsupported_features',
    suggestion: 'rewrite the query in PostgreSQL SQL (NVL → coalesce, DECODE → CASE, (+) → OUTER JOIN, ROWNUM → LIMIT, SYSDATE → LOCALTIMESTAMP …)',
  },
  ORACLE_VIEW_REVIEW: {
    name: 'Oracle view copied as is',
    category: 'migration_caveats',
    suggestion: 'check the view on the target; delete the finding line once it is right',
  },
  ORACLE_SYNONYM_NOT_CONVERTED: {
    name: 'Oracle synonym not converted',
    category: 'unsupported_features',
    suggestion: 'replace the synonym by a view on the migrated table, or by a foreign table for a database link',
  },
  ORACLE_UNSUPPORTED_TYPE: {
    name: 'Oracle type without a PostgreSQL equivalent',
    category: 'unsupported_datatypes',
    suggestion: 'the column was created as text and its data is not exported: choose its PostgreSQL type by hand (a composite or array type for object and collection types, PostGIS for SDO_GEOMETRY)',
  },
  ORACLE_TYPE_CAVEAT: {
    name: 'Oracle type converted with a caveat',
    category: 'migration_caveats',
    suggestion: 'check that the converted type suits the data (the reason says what is lost or changed)',
  },
  ORACLE_EXPRESSION_NOT_CONVERTED: {
    name: 'Oracle expression not converted',
    category: 'unsupported_features',
    suggestion: 'write the default, check, generated column or index expression in PostgreSQL SQL',
  },
  ORACLE_OBJECT_CHANGED: {
    name: 'Oracle object converted with a caveat',
    category: 'migration_caveats',
    suggestion: 'check the converted object (the reason says what changed)',
  },
  ORACLE_PARTITIONING_NOT_CONVERTED: {
    name: 'Oracle partitioning not converted',
    category: 'unsupported_features',
    suggestion: 'partition the table on the target by hand (PostgreSQL has RANGE, LIST and HASH, and needs the partition key in the primary key)',
  },
  ORACLE_FOREIGN_KEY_OUTSIDE_SCHEMA: {
    name: 'Foreign key to another schema',
    category: 'unsupported_features',
    suggestion: 'migrate the referenced schema too, then add the foreign key by hand',
  },
  ORACLE_DOMAIN_INDEX: {
    name: 'Oracle domain index',
    category: 'unsupported_features',
    suggestion: 'create a GIN or GiST index (full-text search, PostGIS) that serves the same queries',
  },
};

/**
 * Finding lines of one schema file as issues. `statements` are the file's statements as the importer
 * splits them: a finding's SQL is the statement below it, or the commented source text of an object that
 * was not converted.
 */
export function sourceFindingIssues(text: string, filePath: string, statements: readonly SplitStatement[]): SchemaIssue[] {
  const lines = text.split('\n');
  const issues: SchemaIssue[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith(FINDING_PREFIX)) continue;
    const parts = lines[i].slice(FINDING_PREFIX.length).split(' | ');
    const [ruleId, objectType, objectName] = parts;
    const reason = parts.slice(3).join(' | ');
    const rule = SOURCE_FINDING_RULES[ruleId?.trim()];
    const lineNo = i + 1;
    issues.push({
      ruleId: ruleId?.trim() ?? '',
      name: rule?.name ?? ruleId ?? '',
      category: rule?.category ?? 'unsupported_features',
      objectType: objectType?.trim() || 'UNCATEGORIZED',
      objectName: objectName?.trim() ?? '',
      reason: reason.trim(),
      sqlStatement: findingSql(lines, i, statements),
      filePath,
      line: lineNo,
      suggestion: rule?.suggestion ?? 'see the reason',
      gh: '',
      docsLink: ruleId?.trim().startsWith('ORACLE_') ? ORACLE_DOCS : MYSQL_DOCS,
    });
  }
  return issues;
}

/** The commented source text right below the finding lines, else the next statement of the file. */
function findingSql(lines: readonly string[], at: number, statements: readonly SplitStatement[]): string {
  let j = at;
  while (j < lines.length && lines[j].startsWith(FINDING_PREFIX)) j++;
  const source: string[] = [];
  for (; j < lines.length && lines[j].startsWith(NOT_CONVERTED_PREFIX.trimEnd()); j++) source.push(lines[j].slice(NOT_CONVERTED_PREFIX.length));
  if (source.length) return source.join('\n');
  const next = statements.find((s) => s.line > at + 1);
  return next ? `${next.sql};` : '';
}
