/**
 * The order in which import schema applies the exported statements, and which of them wait for
 * `--post-snapshot-import` (non-unique indexes and triggers slow the data import down).
 *
 * Statements are classified by their own text, not by headers or file names alone, so files that people
 * edited still import in the right order. Anything not recognised stays with its file.
 */
import { leadingWords, type ParsedStatement } from './schema-files.js';
import { identValue, isTrivia, tokenize, type Token } from './sql-lexer.js';

/** Steps of the default run, in order. */
export const PRE_DATA_STEPS = [
  'extensions',
  'schemas',
  'types',
  'sequences',
  'functions',
  'tables',
  'partitions',
  'sequence ownership',
  'unique indexes',
  'fkeys',
  'views',
  'mviews',
  'procedures',
  'rules',
  'policies',
  'comments',
  'other',
] as const;
/** Steps of the --post-snapshot-import run, in order. */
export const POST_DATA_STEPS = ['indexes', 'triggers', 'refresh mviews'] as const;
export type ImportStep = (typeof PRE_DATA_STEPS)[number] | (typeof POST_DATA_STEPS)[number];

export interface SchemaFileInput {
  /** Directory under schema/ ('tables', 'indexes', …). */
  readonly dir: string;
  /** Path relative to the export dir, for messages (schema/tables/tables.sql). */
  readonly file: string;
  readonly statements: readonly ParsedStatement[];
}

export interface PlannedStatement {
  readonly step: ImportStep;
  readonly dir: string;
  readonly file: string;
  readonly line: number;
  readonly sql: string;
  readonly header?: ParsedStatement['header'];
  /** Position in the whole plan: deferred statements are retried in this order. */
  readonly seq: number;
}

const DIR_STEP: Record<string, ImportStep> = {
  extensions: 'extensions',
  schemas: 'schemas',
  types: 'types',
  sequences: 'sequences',
  functions: 'functions',
  aggregates: 'functions',
  tables: 'tables',
  partitions: 'partitions',
  fkeys: 'fkeys',
  views: 'views',
  mviews: 'mviews',
  procedures: 'procedures',
  rules: 'rules',
  policies: 'policies',
  comments: 'comments',
  triggers: 'triggers',
};

/** Which step a statement of `dir` belongs to. `lastIndexStep` carries an index's step to its follow-ups. */
export function classify(dir: string, sql: string, lastIndexStep: ImportStep | undefined): ImportStep {
  const w = leadingWords(sql, 12);
  if (dir === 'indexes') {
    if (w[0] === 'CREATE' && w[1] === 'UNIQUE' && w[2] === 'INDEX') return 'unique indexes';
    if (w[0] === 'CREATE' && w[1] === 'INDEX') return 'indexes';
    // ALTER TABLE … CLUSTER ON, REPLICA IDENTITY USING INDEX, COMMENT ON INDEX: with the index before them.
    return lastIndexStep ?? 'unique indexes';
  }
  if (dir === 'sequences' && w[0] === 'ALTER' && w[1] === 'SEQUENCE' && w.includes('OWNED')) return 'sequence ownership';
  return DIR_STEP[dir] ?? 'other';
}

/** Every statement of every file, tagged with its step and ordered by step (file order within a step). */
export function planImport(files: readonly SchemaFileInput[]): PlannedStatement[] {
  const byStep = new Map<ImportStep, PlannedStatement[]>();
  let seq = 0;
  for (const f of files) {
    let lastIndexStep: ImportStep | undefined;
    for (const s of f.statements) {
      const step = classify(f.dir, s.sql, lastIndexStep);
      if (f.dir === 'indexes' && (step === 'indexes' || step === 'unique indexes') && leadingWords(s.sql, 1)[0] === 'CREATE') lastIndexStep = step;
      const list = byStep.get(step) ?? [];
      list.push({ step, dir: f.dir, file: f.file, line: s.line, sql: s.sql, header: s.header, seq: seq++ });
      byStep.set(step, list);
      if (f.dir === 'mviews' && isCreateMaterializedView(s.sql)) {
        const name = createdObjectName(s.sql);
        if (name) {
          const refresh = byStep.get('refresh mviews') ?? [];
          refresh.push({ step: 'refresh mviews', dir: f.dir, file: f.file, line: s.line, sql: `REFRESH MATERIALIZED VIEW ${name}`, header: s.header, seq: seq++ });
          byStep.set('refresh mviews', refresh);
        }
      }
    }
  }
  const ordered: PlannedStatement[] = [];
  for (const step of [...PRE_DATA_STEPS, ...POST_DATA_STEPS]) ordered.push(...(byStep.get(step) ?? []));
  return ordered;
}

export function isPostDataStep(step: ImportStep): boolean {
  return (POST_DATA_STEPS as readonly string[]).includes(step);
}

function isCreateMaterializedView(sql: string): boolean {
  const w = leadingWords(sql, 3);
  return w[0] === 'CREATE' && w[1] === 'MATERIALIZED' && w[2] === 'VIEW';
}

/**
 * The (possibly qualified) name a CREATE statement creates, as written: `CREATE [UNIQUE] INDEX
 * [CONCURRENTLY] [IF NOT EXISTS] name`, `CREATE MATERIALIZED VIEW [IF NOT EXISTS] a.b`, …
 */
export function createdObjectName(sql: string): string | undefined {
  const tokens = tokenize(sql).filter((t) => !isTrivia(t));
  let k = 0;
  const skip = new Set(['CREATE', 'OR', 'REPLACE', 'UNIQUE', 'INDEX', 'CONCURRENTLY', 'MATERIALIZED', 'VIEW', 'TABLE', 'UNLOGGED', 'SEQUENCE', 'IF', 'NOT', 'EXISTS']);
  while (k < tokens.length && tokens[k].kind === 'word' && skip.has(tokens[k].text.toUpperCase())) k++;
  const parts: string[] = [];
  while (k < tokens.length && (tokens[k].kind === 'word' || tokens[k].kind === 'qident')) {
    parts.push(tokens[k].text);
    if (tokens[k + 1]?.text !== '.') break;
    k += 2;
  }
  return parts.length ? parts.join('.') : undefined;
}

/**
 * For CREATE INDEX statements: the index's name and its table's schema as PostgreSQL stores them
 * (unquoted names folded to lower case), so a leftover INVALID index can be found and dropped.
 */
export function indexTarget(sql: string): { index: string; schema?: string } | undefined {
  const tokens = tokenize(sql).filter((t) => !isTrivia(t));
  const upper = (k: number) => (tokens[k]?.kind === 'word' ? tokens[k].text.toUpperCase() : undefined);
  let k = 0;
  if (upper(k++) !== 'CREATE') return undefined;
  if (upper(k) === 'UNIQUE') k++;
  if (upper(k++) !== 'INDEX') return undefined;
  if (upper(k) === 'CONCURRENTLY') k++;
  if (upper(k) === 'IF' && upper(k + 1) === 'NOT' && upper(k + 2) === 'EXISTS') k += 3;
  if (upper(k) === 'ON') return undefined; // an unnamed index: PostgreSQL picks the name
  const name = ident(tokens[k]);
  if (name === undefined) return undefined;
  k++;
  if (upper(k++) !== 'ON') return undefined;
  if (upper(k) === 'ONLY') k++;
  const first = ident(tokens[k]);
  const schema = tokens[k + 1]?.text === '.' ? first : undefined;
  return { index: name, schema };
}

function ident(t: Token | undefined): string | undefined {
  return t ? identValue(t) : undefined;
}
