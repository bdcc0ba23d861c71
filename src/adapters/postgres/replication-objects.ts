/**
 * Replication slots and publications as cutover handles them: created on the target for the fall-back
 * stream, dropped on the side a cutover leaves. Every function is idempotent (a rerun after a crash finds
 * the object already there, or already gone).
 */
import type pg from 'pg';
import { SLOT_BUSY, withRetry } from '../../infra/retry.js';
import { qualified, quoteIdent } from './connection.js';
import { mapQueryError } from './errors.js';

/**
 * The server's current WAL insert position ('X/Y'): every transaction committed so far has its commit record
 * before it. (pg_current_wal_lsn() is the *write* position, which lags behind commits made with
 * synchronous_commit = off until the WAL writer catches up.)
 */
export async function currentWalPosition(client: pg.Client): Promise<string> {
  try {
    return (await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn;
  } catch (e) {
    throw mapQueryError(e, 'reading the current WAL position');
  }
}

/**
 * Write one small WAL record. On an idle server the WAL sender may have nothing to decode beyond the
 * position just read, and then never reports having passed it; this record gives it something to pass.
 * A non-transactional logical message: no table is touched and pgoutput forwards it only to clients that
 * asked for messages.
 */
export async function nudgeWal(client: pg.Client): Promise<void> {
  try {
    await client.query(`SELECT pg_logical_emit_message(false, 'yb-voyager', 'cutover')`);
  } catch (e) {
    throw mapQueryError(e, 'writing a WAL record past the cutover position');
  }
}

/** Drop a slot if it exists; terminates a lingering WAL sender still holding it. Returns whether it existed. */
export async function dropSlotIfExists(client: pg.Client, slot: string): Promise<boolean> {
  let tried = false;
  try {
    return await withRetry(async () => {
      const r = await client.query<{ pid: string | null }>('SELECT active_pid::text AS pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      if (!r.rows.length) return tried; // gone meanwhile: dropped by our earlier attempt, or by another process
      tried = true;
      if (r.rows[0].pid) await client.query('SELECT pg_terminate_backend($1::int)', [r.rows[0].pid]);
      try {
        await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      } catch (e) {
        if ((e as { code?: string }).code === '42704') return true; // dropped meanwhile
        throw e;
      }
      return true;
    }, {
      policy: SLOT_BUSY,
      // 55006: still active for a moment after the WAL sender was told to go.
      retryable: (e) => (e as { code?: string }).code === '55006',
    });
  } catch (e) {
    throw mapQueryError(e, `dropping replication slot ${slot}`);
  }
}

export async function dropPublicationIfExists(client: pg.Client, publication: string): Promise<boolean> {
  try {
    const r = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
    if (!r.rows.length) return false;
    await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(publication)}`);
    return true;
  } catch (e) {
    throw mapQueryError(e, `dropping publication ${publication}`);
  }
}

/** A publication of exactly these tables, partitions published as their root (as the forward stream does). */
export async function createPublicationIfMissing(client: pg.Client, publication: string, tables: readonly { schema: string; table: string }[]): Promise<boolean> {
  try {
    const r = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
    if (r.rows.length) return false;
    const list = tables.map((t) => qualified(t.schema, t.table)).join(', ');
    await client.query(`CREATE PUBLICATION ${quoteIdent(publication)} FOR TABLE ${list} WITH (publish_via_partition_root = true)`);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === '42710') return false; // created concurrently
    throw mapQueryError(e, `creating publication ${publication}`);
  }
}

/** A pgoutput logical slot; it carries every change committed after it was created. */
export async function createLogicalSlotIfMissing(client: pg.Client, slot: string): Promise<boolean> {
  try {
    const r = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    if (r.rows.length) return false;
    await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === '42710') return false;
    throw mapQueryError(e, `creating replication slot ${slot}`);
  }
}
