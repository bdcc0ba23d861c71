/**
 * One table's compacted changes run inside the apply session's open transaction (change-applier.ts decides
 * which way and handles the transaction): set-based, or one event at a time in source order. Errors come out
 * as the user sees them, except lock conflicts, which the applier replays (lock-conflicts.ts).
 */
import type mysql from 'mysql2/promise';
import type { TableChanges } from '../../core/apply-batching.js';
import type { DataEvent } from '../../core/change-event.js';
import { DbError, VoyagerError } from '../../infra/errors.js';
import { deleteMany, insertMany, oneEvent, pack, updateMany } from './apply-sql.js';
import { writable, type ApplyTable } from './apply-tables.js';
import { mapQueryError } from './errors.js';
import { isLockConflict } from './lock-conflicts.js';
import { ValueError } from './values.js';

/** Deletes, then updates, then inserts: few round trips (the session takes several statements at once). */
export async function applySetBased(conn: mysql.Connection, t: ApplyTable, c: TableChanges, maxBytes: number): Promise<void> {
  const statements: string[] = [];
  if (c.deletes.length) statements.push(...deleteMany(t, c.keyColumns, c.deletes, maxBytes));
  for (const g of c.updates) {
    const cols = writable(t, g.setColumns);
    if (cols.length) statements.push(...updateMany(t, c.keyColumns, cols, g.rows, maxBytes));
  }
  for (const g of c.inserts) statements.push(...insertMany(t, writable(t, g.columns), g.rows, maxBytes));
  for (const sql of pack('', statements, ';\n', '', maxBytes)) await conn.query(sql);
}

/** The table's events one by one, as the source applied them. Returns how many statements ran. */
export async function applyOrdered(conn: mysql.Connection, t: ApplyTable, c: TableChanges, side: string): Promise<number> {
  let n = 0;
  for (const e of c.events) {
    const sql = oneEvent(t, Object.keys(e.key).sort(), e);
    if (!sql) continue;
    try {
      await conn.query(sql);
    } catch (err) {
      throw applyError(err, `applying change event vsn ${e.vsn} (${opName(e.op)}) to table ${c.table} in the ${side} database`);
    }
    n++;
  }
  return n;
}

/** The error to throw: lock conflicts unchanged (they are replayed), values MySQL cannot hold named, the rest mapped. */
export function applyError(e: unknown, what: string): unknown {
  if (isLockConflict(e) || e instanceof VoyagerError) return e;
  if (e instanceof ValueError) {
    return new DbError('data', `${what}: ${e.message}`, 'the target holds a value MySQL cannot; fall-back stops at this change (see docs/mysql.md)', undefined, e);
  }
  return mapQueryError(e, what);
}

function opName(op: DataEvent['op']): string {
  return op === 'c' ? 'insert' : op === 'u' ? 'update' : 'delete';
}
