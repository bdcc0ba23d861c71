/**
 * import schema's progress in the state store: which statements are applied to which target database.
 * A statement is keyed by a hash of its directory and its exact text (after the schema rename), so a
 * statement someone edited after a failure counts as new. The target is keyed by its cluster's system
 * identifier and the database's oid: a database dropped and created again starts from nothing.
 *
 * 'started' is written just before a statement runs and 'applied' just after: a statement left
 * 'started' by a crash that then reports "already exists" was in fact applied.
 */
import { createHash } from 'node:crypto';
import type { StateStore } from './state-store.js';

export type StatementStatus = 'started' | 'applied';

export function statementHash(dir: string, sql: string): string {
  return createHash('sha256').update(dir).update('\0').update(sql).digest('hex');
}

export class SchemaImportProgress {
  constructor(
    private readonly state: StateStore,
    readonly targetKey: string,
  ) {
    // Two small commits per statement: without an fsync each (WAL, synchronous=NORMAL, this process's
    // connection only) they survive a killed process, which is what resuming needs; a power loss may
    // forget the last few, and the rerun then meets them as existing objects (--ignore-exist).
    state.db.pragma('synchronous = NORMAL');
  }

  statuses(): Map<string, StatementStatus> {
    const rows = this.state.db
      .prepare('SELECT stmt_hash, status FROM schema_import_statements WHERE target_key = ?')
      .all(this.targetKey) as { stmt_hash: string; status: StatementStatus }[];
    return new Map(rows.map((r) => [r.stmt_hash, r.status]));
  }

  mark(hash: string, status: StatementStatus, file: string, line: number): void {
    this.state.db
      .prepare(
        `INSERT INTO schema_import_statements (target_key, stmt_hash, status, file, line, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (target_key, stmt_hash) DO UPDATE SET status = excluded.status, file = excluded.file, line = excluded.line, updated_at = excluded.updated_at`,
      )
      .run(this.targetKey, hash, status, file, line, new Date().toISOString());
  }

  /** The statement did not get applied (it failed, or waits for a dependency). */
  forget(hash: string): void {
    this.state.db.prepare('DELETE FROM schema_import_statements WHERE target_key = ? AND stmt_hash = ?').run(this.targetKey, hash);
  }

  /** Forget everything recorded for this target (import schema --start-clean). */
  reset(): number {
    return this.state.db.prepare('DELETE FROM schema_import_statements WHERE target_key = ?').run(this.targetKey).changes;
  }
}
