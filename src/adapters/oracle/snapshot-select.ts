/**
 * The snapshot's read of one Oracle table: `SELECT <one expression per column> FROM "OWNER"."TABLE" AS OF
 * SCN :scn`, each expression rendering its column as the text value-codec.ts expects (explicit TO_CHAR
 * masks, UTC for zoned timestamps), never relying on session NLS settings. CLOB/NCLOB/BLOB columns are
 * selected as they are and fetched as LOB locators, streamed piece by piece (query-runner.ts). Pure.
 */
import type { OraColumn } from './catalog-model.js';
import type { OracleQuery } from './query-runner.js';
import type { OracleValueKind } from './value-codec.js';

/** Oracle's own quoting (dictionary names are stored exactly, so every name is quoted). */
export function oraIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface SnapshotColumn {
  /** The Oracle column name. */
  readonly name: string;
  readonly kind: OracleValueKind;
  readonly expr: string;
  /** A LOB column, fetched as a locator and streamed (kind is 'text' or 'binary'). */
  readonly lob?: 'clob' | 'blob';
}

/** The value kind of a column, or why its data cannot be exported. */
export function snapshotColumn(c: Pick<OraColumn, 'name' | 'dataType' | 'dataTypeOwner' | 'dataLength' | 'default'>): SnapshotColumn | { name: string; unsupported: string } {
  const col = oraIdent(c.name);
  const dt = c.dataType.toUpperCase();
  const mk = (kind: OracleValueKind, expr = col): SnapshotColumn => ({ name: c.name, kind, expr });
  if (c.dataTypeOwner && !/^(SYS|PUBLIC)$/.test(c.dataTypeOwner)) return { name: c.name, unsupported: `user-defined type ${c.dataTypeOwner}.${c.dataType}` };
  if (dt === 'NUMBER' || dt === 'FLOAT') return mk('number');
  if (dt === 'BINARY_FLOAT' || dt === 'BINARY_DOUBLE') return mk('float');
  if (dt === 'DATE') return mk('date', `TO_CHAR(${col}, 'SYYYY-MM-DD HH24:MI:SS')`);
  if (dt.startsWith('TIMESTAMP') && dt.includes('TIME ZONE')) return mk('timestamptz', `TO_CHAR(SYS_EXTRACT_UTC(CAST(${col} AS TIMESTAMP WITH TIME ZONE)), 'SYYYY-MM-DD HH24:MI:SS.FF9')`);
  if (dt.startsWith('TIMESTAMP')) return mk('timestamp', `TO_CHAR(${col}, 'SYYYY-MM-DD HH24:MI:SS.FF9')`);
  if (dt.startsWith('INTERVAL YEAR')) return mk('interval-ym', `TO_CHAR(${col})`);
  if (dt.startsWith('INTERVAL DAY')) return mk('interval-ds', `TO_CHAR(${col})`);
  if (dt === 'CLOB' || dt === 'NCLOB') return { ...mk('text'), lob: 'clob' };
  if (dt === 'BLOB') return { ...mk('binary'), lob: 'blob' };
  if (['CHAR', 'NCHAR', 'VARCHAR2', 'NVARCHAR2', 'VARCHAR', 'LONG'].includes(dt)) return mk('text');
  if (dt === 'RAW' && c.dataLength === 16 && /^SYS_GUID\(\)$/i.test((c.default ?? '').trim())) return mk('uuid');
  if (dt === 'RAW' || dt === 'LONG RAW') return mk('binary');
  if (dt === 'ROWID' || dt === 'UROWID') return mk('text', `ROWIDTOCHAR(${col})`);
  return { name: c.name, unsupported: `type ${c.dataType}` };
}

/** The snapshot query of one table; its fixture id names the table. */
export function snapshotQuery(owner: string, table: string, columns: readonly SnapshotColumn[]): OracleQuery {
  // Each expression is named after its column: rows come back keyed by column name.
  const list = columns.length ? columns.map((c) => `${c.expr} AS ${oraIdent(c.name)}`).join(', ') : 'NULL';
  const lobs = columns.filter((c) => c.lob).map((c) => [c.name, c.lob!] as const);
  return {
    id: `snapshot.rows ${owner}.${table}`,
    sql: `SELECT ${list} FROM ${oraIdent(owner)}.${oraIdent(table)} AS OF SCN TO_NUMBER(:scn)`,
    ...(lobs.length ? { lobColumns: Object.fromEntries(lobs) } : {}),
  };
}

/** The SCN every reader reads AS OF (needs SELECT on V_$DATABASE). */
export const CURRENT_SCN: OracleQuery = { id: 'snapshot.scn', sql: 'SELECT TO_CHAR(CURRENT_SCN) AS SCN FROM V$DATABASE' };
