/**
 * The vocabulary of schema analysis: parsed statements in, issues out. Rules are small named objects that
 * look at one parsed statement (plus the catalog built from the whole schema) and return findings.
 */
import type { Node } from './ast.js';
import type { SchemaCatalog } from './catalog.js';

/** Issue categories, as the reference tool's report names them. */
export const CATEGORIES = [
  'unsupported_features',
  'unsupported_datatypes',
  'unsupported_plpgsql_objects',
  'migration_caveats',
  'performance_optimizations',
] as const;
export type IssueCategory = (typeof CATEGORIES)[number];

export const CATEGORY_TITLES: Record<IssueCategory, string> = {
  unsupported_features: 'Unsupported features',
  unsupported_datatypes: 'Unsupported data types',
  unsupported_plpgsql_objects: 'Unsupported PL/pgSQL and SQL constructs',
  migration_caveats: 'Migration caveats (live migration, fall-back)',
  performance_optimizations: 'Performance optimizations',
};

/** The object a statement defines or alters, named as the report shows it (e.g. INDEX `idx ON public.t`). */
export interface ObjectRef {
  type: string;
  name: string;
}

/** How a function/procedure/DO body was read. */
export type BodyAnalysis =
  /** PL/pgSQL parse tree walked; every embedded SQL statement and expression parsed. */
  | 'plpgsql-parser'
  /** LANGUAGE sql body parsed as SQL statements. */
  | 'sql-parser'
  /** The body could not be parsed: rules fall back to patterns over the body text. */
  | 'regex'
  /** A language we do not read (C, plpython…): not analysed. */
  | 'none';

export interface RoutineBody {
  language: string;
  analysis: BodyAnalysis;
  /** Parse trees of the SQL found in the body (statements, expressions as SELECTs). */
  trees: Node[];
  /** Body text, for the regex fallback. */
  text: string;
  /** Pieces of a parsed body whose embedded SQL did not parse: the regex fallback covers these. */
  unparsed: string[];
  /** Why the body fell back to regex, when it did. */
  note?: string;
}

export interface ParsedStatement {
  sql: string;
  /** Path shown in the report (the file the user edits). */
  filePath: string;
  /** 1-based line of the statement in its file. */
  line: number;
  /** The statement's parse tree; undefined when it did not parse. */
  tree?: Node;
  parseError?: string;
  /** The object the statement defines or alters, derived from the parse tree. */
  object?: ObjectRef;
  /** True for statements that create the object (these make the per-type totals). */
  defines: boolean;
  /** Function, procedure and DO bodies. */
  body?: RoutineBody;
}

export interface Finding {
  reason: string;
  /** Overrides the rule's generic suggestion when the finding knows better. */
  suggestion?: string;
  /** Overrides the rule's category (e.g. a construct found in a function body is a PL/pgSQL issue). */
  category?: IssueCategory;
  /** Overrides the statement's object when the issue concerns another one (rare). */
  object?: ObjectRef;
  /** More precise links than the rule's, when the finding knows them (e.g. per data type). */
  docsLink?: string;
  gh?: string;
}

export interface Rule {
  /** Stable id, UPPER_SNAKE (tests and scripts key on it). */
  readonly id: string;
  /** Short human title. */
  readonly name: string;
  readonly category: IssueCategory;
  readonly suggestion: string;
  readonly docsLink?: string;
  readonly gh?: string;
  check(stmt: ParsedStatement, catalog: SchemaCatalog): Finding[];
}

export interface SchemaIssue {
  ruleId: string;
  name: string;
  category: IssueCategory;
  objectType: string;
  objectName: string;
  reason: string;
  sqlStatement: string;
  filePath: string;
  line: number;
  suggestion: string;
  gh: string;
  docsLink: string;
}

/** YugabyteDB Voyager's "known issues" page for PostgreSQL sources. */
export const KNOWN_ISSUES_PAGE = 'https://docs.yugabyte.com/preview/yugabyte-voyager/known-issues/postgresql/';
/** Link to a section of the known-issues page. */
export const knownIssue = (anchor: string) => `${KNOWN_ISSUES_PAGE}#${anchor}`;
export const ybIssue = (n: number) => `https://github.com/yugabyte/yugabyte-db/issues/${n}`;
export const voyagerIssue = (n: number) => `https://github.com/yugabyte/yb-voyager/issues/${n}`;
