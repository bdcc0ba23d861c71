/**
 * Loading snapshot batches into a PostgreSQL-compatible target: one transaction per batch that checks the
 * batch is not already there, COPYs its rows (text, or binary: straight in when the target's column types are
 * the source's, else through a staging table), records it in the batches table and commits. Whatever
 * instant the process dies at, the batch is either wholly in the database with its record, or not at all.
 *
 * Sessions run with session_replication_role = replica (user triggers and foreign-key checks do not fire:
 * the data was already consistent on the source) and the COPY text settings the exporter used. COPY FROM
 * writes the given values into GENERATED ALWAYS identity columns (as INSERT … OVERRIDING SYSTEM VALUE
 * would), so identity values arrive as they were; generated (computed) columns are not in the files.
 */
import { once } from 'node:events';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { COPY_TEXT_SESSION_SETTINGS, copyErrorColumn, copyErrorLine } from '../../core/copy-text.js';
import type { ConnSecret, ConnSettings } from '../../core/connection.js';
import { connect, qualified, quoteIdent } from './connection.js';
import { mapQueryError } from './errors.js';
import { DbError } from '../../infra/errors.js';
import { failpoint } from '../../infra/failpoints.js';
import { grantHint } from './replication-role.js';
import type { BatchToLoad as EngineBatch } from '../engine.js';
import { batchExistsQuery, insertBatchQuery, type BatchRecord } from './batch-metadata.js';

const COPY_HIGH_WATER_MARK = 4 * 1024 * 1024;

export async function openLoaderSession(settings: ConnSettings, secret: ConnSecret): Promise<pg.Client> {
  const client = await connect(settings, secret, { applicationName: 'yb-voyager import data', sessionSetup: COPY_TEXT_SESSION_SETTINGS });
  try {
    await client.query('SET session_replication_role = replica');
  } catch (e) {
    await client.end().catch(() => undefined);
    if ((e as { code?: string }).code === '42501') {
      throw new DbError(
        'privilege',
        `user '${settings.user}' may not set session_replication_role on the target (needed so triggers and foreign keys do not fire during the import)`,
        grantHint(quoteIdent(settings.user), 'target'),
        '42501',
        e,
      );
    }
    throw mapQueryError(e, 'setting up the import session');
  }
  return client;
}

export interface BatchToLoad extends BatchRecord, Pick<EngineBatch, 'format' | 'stage'> {
  columns: readonly string[];
  /** Line of the chunk file where this batch starts (1-based), for error messages. */
  firstLine: number;
}

export type BatchOutcome = { status: 'imported'; rows: number } | { status: 'already-imported' };

/**
 * Load one batch. `data` yields the batch's bytes (whole COPY text rows) and is consumed exactly once.
 * On failure the transaction is rolled back and a DbError names table, file, line and cause.
 */
export async function loadBatch(client: pg.Client, b: BatchToLoad, data: AsyncIterable<Buffer>): Promise<BatchOutcome> {
  try {
    await client.query('BEGIN');
    if ((await client.query(batchExistsQuery(b))).rows.length) {
      await client.query('ROLLBACK');
      for await (const _ of data) void _; // the caller's reader must still move past the batch
      return { status: 'already-imported' };
    }
    const rows = b.stage ? await loadStaged(client, b, b.stage, data) : await copyIn(client, `COPY ${qualified(b.schema, b.table)}${columnList(b)} FROM STDIN${copyOptions(b)}`, data);
    failpoint('import.batch_after_copy');
    await client.query(insertBatchQuery(b, rows));
    failpoint('import.batch_before_commit');
    await client.query('COMMIT');
    failpoint('import.batch_committed');
    return { status: 'imported', rows };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw describeBatchError(e, b);
  }
}

function columnList(b: BatchToLoad): string {
  return b.columns.length ? ` (${b.columns.map(quoteIdent).join(', ')})` : '';
}

function copyOptions(b: BatchToLoad): string {
  return b.format === 'binary' ? ' WITH (FORMAT binary)' : '';
}

const STAGE = 'pg_temp.ybv_snapshot_stage';

/**
 * Binary data for columns whose type on the target differs from the source's: COPY into a staging table of the
 * source's types (dropped at the end of the transaction), then insert each value converted through its text
 * form — what COPY text into the target's columns would have done with the same value.
 */
async function loadStaged(client: pg.Client, b: BatchToLoad, stage: NonNullable<BatchToLoad['stage']>, data: AsyncIterable<Buffer>): Promise<number> {
  const defs = b.columns.map((c, i) => `${quoteIdent(c)} ${stage.sourceTypes[i]}`);
  await client.query(`CREATE TEMP TABLE ${STAGE} (${defs.join(', ')}) ON COMMIT DROP`);
  await copyIn(client, `COPY ${STAGE} FROM STDIN${copyOptions(b)}`, data);
  const values = b.columns.map((c, i) =>
    stage.sourceTypes[i] === stage.targetTypes[i] ? quoteIdent(c) : `CAST(${quoteIdent(c)}::text AS ${stage.targetTypes[i]})`);
  // OVERRIDING SYSTEM VALUE: identity values arrive as they were, as COPY writes them.
  const r = await client.query(`INSERT INTO ${qualified(b.schema, b.table)}${columnList(b)} OVERRIDING SYSTEM VALUE SELECT ${values.join(', ')} FROM ${STAGE}`);
  return r.rowCount ?? 0;
}

/** Stream `data` into COPY … FROM STDIN with backpressure; returns the row count the server reports. */
async function copyIn(client: pg.Client, sql: string, data: AsyncIterable<Buffer>): Promise<number> {
  const stream = client.query(copyStreams.from(sql, { highWaterMark: COPY_HIGH_WATER_MARK }));
  let failure: unknown;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', (e) => {
      failure = e;
      reject(e);
    });
  });
  done.catch(() => undefined); // observed below; never an unhandled rejection
  for await (const buf of data) {
    if (failure) break; // the server refused a row: stop sending, the error below says which
    if (!stream.write(buf)) await Promise.race([once(stream, 'drain'), done]);
  }
  if (!failure) stream.end();
  await done;
  return (stream as unknown as { rowCount: number }).rowCount;
}

export function describeBatchError(e: unknown, b: BatchToLoad): DbError {
  if (e instanceof DbError) return e;
  const err = e as { code?: string; where?: string; message?: string };
  const table = qualified(b.schema, b.table);
  const line = copyErrorLine(err.where);
  const column = copyErrorColumn(err.where);
  const unit = b.format === 'binary' ? 'row' : 'line';
  const at = line !== undefined ? `, ${unit} ${b.firstLine + line - 1} of the file (row ${line} of batch ${b.batchNumber})` : `, batch ${b.batchNumber}`;
  const col = column ? `, column ${column}` : '';
  const what = `importing ${table} from data/${b.fileName}${at}${col}`;
  const mapped = mapQueryError(e, what);
  if (err.code && /^(22|23)/.test(err.code)) {
    return new DbError('data', mapped.message, `fix the row or the target table definition, then rerun the same command: it resumes with this batch`, err.code, e);
  }
  return mapped;
}
