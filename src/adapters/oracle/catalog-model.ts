/**
 * The dictionary rows of one schema, read into a model the DDL converter works on. Reading is the only part
 * that touches a runner; building the model from rows is pure.
 */
import { UserError } from '../../infra/errors.js';
import { CATALOG } from './catalog-queries.js';
import { allRows, type OracleQueryRunner, type OracleRow } from './query-runner.js';

export interface OraColumn {
  name: string;
  dataType: string;
  dataTypeOwner: string | null;
  dataLength: number | null;
  charLength: number | null;
  precision: number | null;
  scale: number | null;
  nullable: boolean;
  default: string | null;
  virtual: boolean;
  /** start: the next value to hand out (the identity sequence's LAST_NUMBER, so migrated rows do not collide). */
  identity?: { always: boolean; start?: string; increment?: string };
  comment: string | null;
}

export interface OraPartitioning {
  type: string;
  subType: string | null;
  columns: string[];
  partitions: { name: string; highValue: string | null }[];
}

export interface OraTable {
  name: string;
  temporary: boolean;
  iot: boolean;
  numRows: number;
  comment: string | null;
  columns: OraColumn[];
  partitioning?: OraPartitioning;
}

export interface OraConstraint {
  name: string;
  type: 'P' | 'U' | 'R' | 'C';
  table: string;
  columns: string[];
  condition: string | null;
  refOwner: string | null;
  refConstraint: string | null;
  deleteRule: string | null;
  enabled: boolean;
  deferrable: boolean;
  deferred: boolean;
  validated: boolean;
  /** Named by the system (SYS_C…): a NOT NULL check of this kind is the column's NOT NULL. */
  systemNamed: boolean;
}

export interface OraIndex {
  name: string;
  table: string;
  type: string;
  unique: boolean;
  /** The PK/UK constraint this index implements (its DDL comes from the constraint). */
  constraint: string | null;
  columns: { name: string; descending: boolean; expression: string | null }[];
}

export interface OraSequence {
  name: string;
  min: string;
  max: string;
  increment: string;
  cycle: boolean;
  cache: string;
  last: string;
}

export interface OraCode {
  name: string;
  type: string;
  text: string;
}

export interface OraTrigger {
  name: string;
  enabled: boolean;
  table: string | null;
  description: string;
  body: string;
}

export interface OraSynonym {
  name: string;
  targetOwner: string | null;
  target: string;
  dbLink: string | null;
}

export interface OraSchema {
  owner: string;
  serverVersion: string;
  tables: OraTable[];
  constraints: OraConstraint[];
  indexes: OraIndex[];
  sequences: OraSequence[];
  views: { name: string; text: string }[];
  mviews: { name: string; text: string }[];
  code: OraCode[];
  triggers: OraTrigger[];
  synonyms: OraSynonym[];
}

const num = (v: string | null | undefined): number | null => (v == null || v === '' ? null : Number(v));
const str = (r: OracleRow, k: string): string => r[k] ?? '';

function groupBy<T>(rows: readonly OracleRow[], key: string, f: (r: OracleRow) => T): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = str(r, key);
    let list = m.get(k);
    if (!list) m.set(k, (list = []));
    list.push(f(r));
  }
  return m;
}

/** 'START WITH: 1, INCREMENT BY: 1, MAX_VALUE: …' (ALL_TAB_IDENTITY_COLS.IDENTITY_OPTIONS). */
function identityOption(options: string | null, name: string): string | undefined {
  const m = new RegExp(`${name}: (-?\\d+)`).exec(options ?? '');
  return m?.[1];
}

/** The schema as --source-db-schema names it: one name; upper-cased unless quoted (Oracle's own rule). */
export function oracleOwner(requested: readonly string[]): string {
  if (requested.length !== 1) {
    throw new UserError(`--source-db-schema takes exactly one schema for Oracle, not ${requested.length}`, 'migrate one Oracle schema per export dir: pass a single --source-db-schema');
  }
  const s = requested[0].trim();
  return /^".*"$/.test(s) ? s.slice(1, -1).replace(/""/g, '"') : s.toUpperCase();
}

export async function readSchema(r: OracleQueryRunner, owner: string): Promise<OraSchema> {
  const binds = { owner };
  const [version] = await allRows(r, CATALOG.version);
  const schemaRows = await allRows(r, CATALOG.schema, binds);
  if (!schemaRows.length) throw new UserError(`the Oracle schema ${owner} does not exist (or the migration user cannot see it)`, 'check --source-db-schema (Oracle names are upper case unless created quoted)', 'not-found');
  const get = (q: (typeof CATALOG)[keyof typeof CATALOG]) => allRows(r, q, binds);
  return buildSchema(owner, version?.BANNER ?? 'Oracle', {
    tables: await get(CATALOG.tables),
    columns: await get(CATALOG.columns),
    identityColumns: await get(CATALOG.identityColumns),
    constraints: await get(CATALOG.constraints),
    constraintColumns: await get(CATALOG.constraintColumns),
    indexes: await get(CATALOG.indexes),
    indexColumns: await get(CATALOG.indexColumns),
    sequences: await get(CATALOG.sequences),
    views: await get(CATALOG.views),
    mviews: await get(CATALOG.mviews),
    partTables: await get(CATALOG.partTables),
    partKeyColumns: await get(CATALOG.partKeyColumns),
    partitions: await get(CATALOG.partitions),
    triggers: await get(CATALOG.triggers),
    source: await get(CATALOG.source),
    synonyms: await get(CATALOG.synonyms),
  });
}

export type CatalogRows = Record<
  'tables' | 'columns' | 'identityColumns' | 'constraints' | 'constraintColumns' | 'indexes' | 'indexColumns' | 'sequences' | 'views' | 'mviews' | 'partTables' | 'partKeyColumns' | 'partitions' | 'triggers' | 'source' | 'synonyms',
  readonly OracleRow[]
>;

export function buildSchema(owner: string, serverVersion: string, rows: CatalogRows): OraSchema {
  const identity = new Map(rows.identityColumns.map((r) => [`${str(r, 'TABLE_NAME')}.${str(r, 'COLUMN_NAME')}`, r]));
  const columns = groupBy(rows.columns, 'TABLE_NAME', (r): OraColumn => {
    const id = identity.get(`${str(r, 'TABLE_NAME')}.${str(r, 'COLUMN_NAME')}`);
    return {
      name: str(r, 'COLUMN_NAME'),
      dataType: str(r, 'DATA_TYPE'),
      dataTypeOwner: r.DATA_TYPE_OWNER ?? null,
      dataLength: num(r.DATA_LENGTH),
      charLength: num(r.CHAR_LENGTH),
      precision: num(r.DATA_PRECISION),
      scale: num(r.DATA_SCALE),
      nullable: r.NULLABLE !== 'N',
      default: r.DATA_DEFAULT?.trim() || null,
      virtual: r.VIRTUAL_COLUMN === 'YES',
      identity: id ? { always: id.GENERATION_TYPE === 'ALWAYS', start: id.LAST_NUMBER ?? identityOption(id.IDENTITY_OPTIONS, 'START WITH'), increment: identityOption(id.IDENTITY_OPTIONS, 'INCREMENT BY') } : undefined,
      comment: r.COMMENTS ?? null,
    };
  });
  const keyCols = groupBy(rows.partKeyColumns, 'NAME', (r) => str(r, 'COLUMN_NAME'));
  const parts = groupBy(rows.partitions, 'TABLE_NAME', (r) => ({ name: str(r, 'PARTITION_NAME'), highValue: r.HIGH_VALUE ?? null }));
  const partTables = new Map(rows.partTables.map((r) => [str(r, 'TABLE_NAME'), r]));
  const tables = rows.tables.map((r): OraTable => {
    const name = str(r, 'TABLE_NAME');
    const pt = partTables.get(name);
    return {
      name,
      temporary: r.TEMPORARY === 'Y',
      iot: r.IOT_TYPE != null,
      numRows: num(r.NUM_ROWS) ?? 0,
      comment: r.COMMENTS ?? null,
      columns: columns.get(name) ?? [],
      partitioning: pt ? { type: str(pt, 'PARTITIONING_TYPE'), subType: pt.SUBPARTITIONING_TYPE && pt.SUBPARTITIONING_TYPE !== 'NONE' ? pt.SUBPARTITIONING_TYPE : null, columns: keyCols.get(name) ?? [], partitions: parts.get(name) ?? [] } : undefined,
    };
  });
  const consCols = groupBy(rows.constraintColumns, 'CONSTRAINT_NAME', (r) => str(r, 'COLUMN_NAME'));
  const constraints = rows.constraints.map((r): OraConstraint => ({
    name: str(r, 'CONSTRAINT_NAME'),
    type: str(r, 'CONSTRAINT_TYPE') as OraConstraint['type'],
    table: str(r, 'TABLE_NAME'),
    columns: consCols.get(str(r, 'CONSTRAINT_NAME')) ?? [],
    condition: r.SEARCH_CONDITION ?? null,
    refOwner: r.R_OWNER ?? null,
    refConstraint: r.R_CONSTRAINT_NAME ?? null,
    deleteRule: r.DELETE_RULE ?? null,
    enabled: r.STATUS === 'ENABLED',
    deferrable: r.DEFERRABLE === 'DEFERRABLE',
    deferred: r.DEFERRED === 'DEFERRED',
    validated: r.VALIDATED !== 'NOT VALIDATED',
    systemNamed: r.GENERATED === 'GENERATED NAME',
  }));
  const indexCols = groupBy(rows.indexColumns, 'INDEX_NAME', (r) => ({ name: str(r, 'COLUMN_NAME'), descending: r.DESCEND === 'DESC', expression: r.COLUMN_EXPRESSION ?? null }));
  const indexes = rows.indexes.map((r): OraIndex => ({
    name: str(r, 'INDEX_NAME'),
    table: str(r, 'TABLE_NAME'),
    type: str(r, 'INDEX_TYPE'),
    unique: r.UNIQUENESS === 'UNIQUE',
    constraint: r.CONSTRAINT_NAME ?? null,
    columns: indexCols.get(str(r, 'INDEX_NAME')) ?? [],
  }));
  const sequences = rows.sequences.map((r): OraSequence => ({
    name: str(r, 'SEQUENCE_NAME'), min: str(r, 'MIN_VALUE'), max: str(r, 'MAX_VALUE'), increment: str(r, 'INCREMENT_BY'),
    cycle: r.CYCLE_FLAG === 'Y', cache: str(r, 'CACHE_SIZE'), last: str(r, 'LAST_NUMBER'),
  }));
  // ALL_SOURCE holds code one line per row: join each object's lines.
  const code: OraCode[] = [];
  for (const r of rows.source) {
    const last = code[code.length - 1];
    if (last && last.name === r.NAME && last.type === r.TYPE) last.text += r.TEXT ?? '';
    else code.push({ name: str(r, 'NAME'), type: str(r, 'TYPE'), text: r.TEXT ?? '' });
  }
  return {
    owner,
    serverVersion,
    tables,
    constraints,
    indexes,
    sequences,
    views: rows.views.map((r) => ({ name: str(r, 'VIEW_NAME'), text: str(r, 'TEXT') })),
    mviews: rows.mviews.map((r) => ({ name: str(r, 'MVIEW_NAME'), text: str(r, 'QUERY') })),
    code,
    triggers: rows.triggers.map((r) => ({ name: str(r, 'TRIGGER_NAME'), enabled: r.STATUS !== 'DISABLED', table: r.TABLE_NAME ?? null, description: str(r, 'DESCRIPTION'), body: str(r, 'TRIGGER_BODY') })),
    synonyms: rows.synonyms.map((r) => ({ name: str(r, 'SYNONYM_NAME'), targetOwner: r.TABLE_OWNER ?? null, target: str(r, 'TABLE_NAME'), dbLink: r.DB_LINK ?? null })),
  };
}
