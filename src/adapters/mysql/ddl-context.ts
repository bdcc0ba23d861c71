/**
 * Shared state of one MySQL schema conversion: the statements collected per schema file, the names given
 * on PostgreSQL (every MySQL name through names.ts; names we make up, such as index names, kept unique
 * within the schema and within PostgreSQL's 63 bytes), and warnings for the user.
 */
import { createHash } from 'node:crypto';
import { displayIdent } from '../../core/schema-analysis/ast.js';
import type { DdlStatement, SchemaDir, SourceFinding } from '../../core/schema-files.js';
import { quoteIdentIfNeeded } from '../../core/sql-lexer.js';
import { pgName, TARGET_SCHEMA } from './names.js';

/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1). */
const MAX_IDENT_BYTES = 63;

/** `name` shortened to 63 bytes, with a hash of the whole so that shortened names stay distinct. */
export function fitName(name: string): string {
  if (Buffer.byteLength(name) <= MAX_IDENT_BYTES) return name;
  const hash = createHash('sha1').update(name).digest('hex').slice(0, 8);
  let cut = name;
  while (Buffer.byteLength(cut) > MAX_IDENT_BYTES - 9) cut = cut.slice(0, -1);
  return `${cut}_${hash}`;
}

/** A MySQL column or table name as written in PostgreSQL DDL. */
export const ident = (mysqlName: string) => quoteIdentIfNeeded(pgName(mysqlName));
/** A MySQL table (or view) as a qualified PostgreSQL name in DDL. */
export const rel = (mysqlName: string) => `${TARGET_SCHEMA}.${ident(mysqlName)}`;
/** A PostgreSQL name we made (already lower case) in the target schema. */
export const relOf = (pgIdent: string) => `${TARGET_SCHEMA}.${quoteIdentIfNeeded(pgIdent)}`;
/** A MySQL table as analyze-schema's report names it. */
export const shown = (mysqlName: string) => `${TARGET_SCHEMA}.${displayIdent(pgName(mysqlName))}`;

export class MyDdl {
  readonly files = new Map<SchemaDir, DdlStatement[]>();
  readonly warnings: string[] = [];
  /** Names in the schema's relation/type namespace (tables, indexes, sequences, types). */
  private readonly taken = new Set<string>();

  constructor(readonly database: string) {}

  add(dir: SchemaDir, objectType: string, name: string, sql: string, o: { findings?: readonly SourceFinding[]; commentedOut?: boolean } = {}): void {
    const list = this.files.get(dir) ?? [];
    list.push({ objectType, name, sql, ...(o.findings?.length ? { findings: o.findings } : {}), ...(o.commentedOut ? { commentedOut: true } : {}) });
    this.files.set(dir, list);
  }

  /** Reserve a name MySQL gave (a table, a view): already checked to be unique after lower-casing. */
  reserve(pgIdent: string): void {
    this.taken.add(pgIdent);
  }

  /** A name we make up (index, partition, enum type), fitted and made unique with a numeric suffix. */
  uniqueName(wanted: string): string {
    let name = fitName(wanted);
    for (let n = 2; this.taken.has(name); n++) name = fitName(`${wanted}_${n}`);
    this.taken.add(name);
    return name;
  }

  warn(message: string): void {
    this.warnings.push(message);
  }
}
