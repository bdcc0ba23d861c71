/**
 * Reading the snapshot: sessions that all see one exported snapshot, and COPY of one chunk (a block range
 * of one table or partition) into a data file, in PostgreSQL's COPY text or binary format.
 *
 * Text is exact for every type once the session settings below are fixed, and loads into any
 * PostgreSQL-compatible target. Binary costs the source ~15% and the target ~30% less CPU (no text to print
 * and parse: bench/snapshot-import-bench.ts), but carries type OIDs inside arrays and composite values (they
 * differ between databases for user-defined types) and loads only into columns of the same type: it is used
 * for tables whose every column has a built-in type with an OID-free binary form (table-catalog.ts), and the
 * importer loads it through a staging table where the target's column types differ (bulk-loader.ts).
 *
 * Durability: a chunk is written to `<file>.tmp`, fsynced, renamed to its final name and the directory
 * fsynced. A final name therefore always means a complete file; a crash leaves at most a `.tmp`.
 */
import type pg from 'pg';
import type { CopyFormat } from '../../core/copy-binary.js';
import { COPY_TEXT_SESSION_SETTINGS } from '../../core/copy-text.js';
import type { ConnSecret, ConnSettings } from '../../core/connection.js';
import { copyOut } from './copy-out.js';
import { connect, quoteIdent, quoteLiteral, qualified } from './connection.js';
import { mapQueryError } from './errors.js';
import { writeDurableFile } from '../../infra/durable-file.js';

/** See COPY_TEXT_SESSION_SETTINGS: the importer sets the same ones, so input reads what output wrote. */
export const EXACT_TEXT_SETTINGS = COPY_TEXT_SESSION_SETTINGS;

export interface SnapshotSession {
  client: pg.Client;
  close(): Promise<void>;
}

/**
 * A connection inside one REPEATABLE READ, READ ONLY transaction that sees exactly `snapshotName`.
 * It stays in that transaction until close().
 */
export async function openSnapshotSession(settings: ConnSettings, secret: ConnSecret, snapshotName: string): Promise<SnapshotSession> {
  const client = await connect(settings, secret, { applicationName: 'yb-voyager export data', sessionSetup: EXACT_TEXT_SETTINGS });
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotName)}`);
  } catch (e) {
    await client.end().catch(() => undefined);
    throw mapQueryError(e, `importing snapshot ${snapshotName}`);
  }
  return { client, close: () => closeQuietly(client) };
}

/**
 * A snapshot without a replication slot (snapshot-only): a REPEATABLE READ transaction on this connection
 * exports it, and keeps it importable for as long as the transaction stays open.
 */
export async function exportPlainSnapshot(client: pg.Client): Promise<string> {
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0].s;
  } catch (e) {
    throw mapQueryError(e, 'exporting a snapshot');
  }
}

/**
 * ACCESS SHARE locks on every table for the whole snapshot, as pg_dump takes them: a concurrent
 * TRUNCATE, VACUUM FULL, CLUSTER or ALTER TABLE … TYPE would rewrite a table under our ctid ranges.
 * Ordinary reads and writes are not blocked.
 */
export async function lockTables(client: pg.Client, tables: readonly { schema: string; table: string }[], lockTimeoutMs: number): Promise<void> {
  if (!tables.length) return;
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(0, Math.floor(lockTimeoutMs))}`);
    await client.query(`LOCK TABLE ${tables.map((t) => qualified(t.schema, t.table)).join(', ')} IN ACCESS SHARE MODE`);
  } catch (e) {
    if ((e as { code?: string }).code === '55P03') {
      throw mapQueryError(e, 'locking the tables for the snapshot (another session holds an exclusive lock; retry when it is done)');
    }
    throw mapQueryError(e, 'locking the tables for the snapshot');
  }
}

export async function closeQuietly(client: pg.Client): Promise<void> {
  await client.query('COMMIT').catch(() => undefined);
  await client.end().catch(() => undefined);
}

/** The COPY … TO STDOUT statement of one chunk. */
export function copyOutSql(leaf: { schema: string; table: string }, columns: readonly string[], predicate: string, format: CopyFormat = 'text'): string {
  const cols = columns.map(quoteIdent).join(', ');
  const options = format === 'binary' ? ' WITH (FORMAT binary)' : '';
  // A table without columns (CREATE TABLE t ()) still has rows: COPY without a column list.
  if (!predicate) return `COPY ${qualified(leaf.schema, leaf.table)}${cols ? ` (${cols})` : ''} TO STDOUT${options}`;
  // ONLY: a leaf has no children, but a plain table may have inheritance children we must not read twice.
  return `COPY (SELECT ${cols} FROM ONLY ${qualified(leaf.schema, leaf.table)} WHERE ${predicate}) TO STDOUT${options}`;
}

export interface ChunkResult {
  rows: number;
  bytes: number;
}

/**
 * COPY one chunk into `finalPath` via `finalPath.tmp` (see the file comment). `onRows` reports progress
 * (rows and bytes) as data arrives; the result's rows are the server's count.
 */
export async function copyChunkToFile(
  client: pg.Client,
  sql: string,
  finalPath: string,
  onRows: (rows: number, bytes: number) => void,
  signal?: AbortSignal,
): Promise<ChunkResult> {
  let rows = 0;
  const bytes = await writeDurableFile(finalPath, async (append) => {
    try {
      const r = await copyOut(client, sql, async (buf, messages) => {
        await append(buf);
        onRows(messages, buf.length);
      }, signal);
      rows = r.rows;
    } catch (e) {
      if (signal?.aborted) throw e;
      throw mapQueryError(e, `copying ${sql.slice(0, 200)}`);
    }
  });
  return { rows, bytes };
}
