/**
 * Applies compacted change events to a MySQL/MariaDB database through one session: the original source in
 * fall-back, with the semantics of the PostgreSQL applier (postgres/change-applier.ts).
 *
 * A transaction holds one or more chunks and ends with the watermark, so the database always holds exactly
 * the events up to its watermark (kill -9 anywhere is safe). Each chunk is applied set-based per table; if a
 * table's statements hit a duplicate key (a unique swap between rows, a key shifted onto one moved away later),
 * the chunk is rolled back (the whole transaction for the first chunk, a savepoint for later ones) and that
 * table's events are applied one by one in source order. If that fails too, the data really conflicts.
 *
 * MySQL cannot switch triggers off for a session (they are set aside for fall-back: source-triggers.ts), but
 * foreign_key_checks = 0 keeps InnoDB from checking keys and from cascading: the target's stream already
 * carries every row its own cascades changed. A deadlock or lock wait timeout rolls the transaction back and
 * it is replayed from the chunks kept in memory, so the apply loop never sees one.
 */
import type mysql from 'mysql2/promise';
import type { EventCounts, TableChanges } from '../../core/apply-batching.js';
import { tableKey } from '../../core/change-event.js';
import type { Conn } from '../../core/connection.js';
import { InternalError, VoyagerError, watermarkConflict } from '../../infra/errors.js';
import { failpoint } from '../../infra/failpoints.js';
import type { Logger } from '../../infra/logger.js';
import type { AppliedState, ChangeSink } from '../engine.js';
import { ensureEventMetadata, moveWatermark } from './apply-metadata.js';
import { applyError, applyOrdered, applySetBased } from './apply-statements.js';
import { identifiesRows, loadApplyTable, type ApplyTable } from './apply-tables.js';
import { connect, rows } from './connection.js';
import { mapQueryError } from './errors.js';
import { errnoOf, replayingLockConflicts } from './lock-conflicts.js';
import { OrderedFallback } from '../../core/ordered-fallback.js';

export interface MySqlApplierOptions {
  migrationUuid: string;
  /** Which database this is, for messages. */
  side: string;
  log: Logger;
}

/** No FK checks or cascades, UTC, strict (a bad value fails; an explicit id 0 stays 0), rows committed by others seen at once. */
const SESSION = [
  'SET SESSION foreign_key_checks = 0',
  "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
];

/** Chunks kept for a replay up to this many events; a bigger transaction resumes from the watermark instead. */
const MAX_REPLAY_EVENTS = 200_000;

/** Duplicate keys (SQLSTATE 23000: ER_DUP_ENTRY 1062 and friends): a different statement order may avoid them. */
const isOrderSensitive = (e: unknown) => ((e as { sqlState?: string }).sqlState ?? '').startsWith('23');

export class MySqlChangeApplier implements ChangeSink {
  private readonly tables = new Map<string, ApplyTable>();
  private inTransaction = false;
  private closed = false;
  private chunksInTransaction = 0;
  private txnCounts = new Map<string, EventCounts>();
  /** The open transaction's chunks, for a replay; undefined once too big to keep. */
  private txnChunks: (readonly TableChanges[])[] | undefined = [];
  private txnEvents = 0;
  /** Set-based per table, one by one after a conflict (core/ordered-fallback.ts). */
  private readonly fallback = new OrderedFallback();
  applied: AppliedState;
  /** Events applied one by one because set-based conflicted, and transactions replayed (logs and tests). */
  fallbackEvents = 0;
  replays = 0;
  sessionLost: unknown;

  private constructor(
    private readonly conn: mysql.Connection,
    private readonly database: string,
    private readonly o: MySqlApplierOptions,
    applied: AppliedState,
    private readonly maxStatementBytes: number,
  ) {
    this.applied = applied;
    conn.on('error', (e) => (this.sessionLost ??= e));
  }

  static async open(c: Conn, o: MySqlApplierOptions): Promise<MySqlChangeApplier> {
    const conn = await connect(c, { sessionSetup: SESSION, multipleStatements: true });
    try {
      const applied = await ensureEventMetadata(conn, o.migrationUuid);
      const [p] = await rows<{ p: string }>(conn, 'SELECT @@max_allowed_packet AS p');
      // Statements stay well under the packet limit (at most 8 MiB: bigger gains nothing).
      const maxBytes = Math.max(64 << 10, Math.min(8 << 20, Math.floor(Number(p.p) / 2)));
      return new MySqlChangeApplier(conn, c.settings.database, o, applied, maxBytes);
    } catch (e) {
      conn.destroy();
      throw e instanceof VoyagerError ? e : mapQueryError(e, `opening the apply session on the ${o.side} database`);
    }
  }

  get openTransaction(): boolean {
    return this.inTransaction;
  }

  private async table(c: TableChanges): Promise<ApplyTable> {
    const k = tableKey(c.schema, c.table);
    let t = this.tables.get(k);
    if (!t) this.tables.set(k, (t = await loadApplyTable(this.conn, this.database, c.table)));
    return t;
  }

  private async statement(sql: string): Promise<void> {
    await this.conn.query(sql);
  }

  private async begin(): Promise<void> {
    await this.conn.query('START TRANSACTION');
    this.inTransaction = true;
    this.chunksInTransaction = 0;
    this.txnCounts = new Map();
  }

  async applyChunk(changes: readonly TableChanges[]): Promise<void> {
    if (!this.inTransaction) {
      this.txnChunks = [];
      this.txnEvents = 0;
    }
    if (this.txnChunks) {
      this.txnChunks.push(changes);
      for (const c of changes) this.txnEvents += c.events.length;
      if (this.txnEvents > MAX_REPLAY_EVENTS) this.txnChunks = undefined;
    }
    await this.replayingLockConflicts(async (replay) => {
      if (replay) await this.replay(this.txnChunks!.slice(0, -1));
      else if (!this.inTransaction) await this.begin();
      await this.applyInTransaction(changes);
    });
    failpoint('apply.after-chunk');
  }

  private async replay(chunks: readonly (readonly TableChanges[])[]): Promise<void> {
    this.replays++;
    await this.begin();
    for (const ch of chunks) await this.applyInTransaction(ch);
  }

  /** `work`, replayed in a new transaction after a deadlock or lock wait timeout (lock-conflicts.ts). */
  private replayingLockConflicts(work: (replay: boolean) => Promise<void>): Promise<void> {
    return replayingLockConflicts(work, {
      abandon: () => this.abandon(),
      replayable: () => this.txnChunks !== undefined,
      fail: (e) => applyError(e, `applying changes to the ${this.o.side} database`),
      side: this.o.side,
      log: this.o.log,
    });
  }

  /** One chunk inside the open transaction: set-based per table, a conflicting table again one by one. */
  private async applyInTransaction(changes: readonly TableChanges[]): Promise<void> {
    const tables = new Map<TableChanges, ApplyTable>();
    for (const c of changes) tables.set(c, await this.table(c));
    await this.fallback.apply(changes, this.chunksInTransaction === 0, {
      mustOrder: (c) => c.orderedOnly || !identifiesRows(tables.get(c)!, c.keyColumns),
      setBased: (c) => applySetBased(this.conn, tables.get(c)!, c, this.maxStatementBytes),
      ordered: async (c) => {
        this.fallbackEvents += await applyOrdered(this.conn, tables.get(c)!, c, this.o.side);
      },
      isOrderSensitive,
      fail: (e, c) => applyError(e, c ? `applying changes to table ${c.table}` : 'applying changes'),
      onConflict: (c, e) => this.o.log.info('set-based apply hit a constraint; applying this table\'s events one by one in source order', {
        table: c.table, errno: errnoOf(e), events: c.events.length,
      }),
      savepoint: () => this.statement('SAVEPOINT ybv_chunk'),
      releaseSavepoint: () => this.statement('RELEASE SAVEPOINT ybv_chunk'),
      rollbackToSavepoint: () => this.statement('ROLLBACK TO SAVEPOINT ybv_chunk'),
      restartTransaction: async () => {
        await this.statement('ROLLBACK');
        await this.statement('START TRANSACTION');
      },
    });
    for (const c of changes) {
      const name = tables.get(c)!.pgName;
      const n = this.txnCounts.get(name) ?? { c: 0, u: 0, d: 0 };
      this.txnCounts.set(name, { c: n.c + c.counts.c, u: n.u + c.counts.u, d: n.d + c.counts.d });
    }
    this.chunksInTransaction++;
  }

  /** Commit the open group with the watermark (also alone, to move the watermark past a marker or empty transactions). */
  async commit(watermark: number): Promise<void> {
    if (watermark < this.applied.watermark) throw new InternalError(`watermark would move back from ${this.applied.watermark} to ${watermark}`);
    if (!this.inTransaction && watermark === this.applied.watermark) return;
    if (!this.inTransaction) this.txnChunks = [];
    await this.replayingLockConflicts(async (replay) => {
      if (replay) await this.replay(this.txnChunks!);
      else if (!this.inTransaction) await this.begin();
      let moved: boolean;
      try {
        moved = await moveWatermark(this.conn, this.o.migrationUuid, this.applied.watermark, watermark, this.txnCounts);
      } catch (e) {
        throw applyError(e, 'recording the applied-changes watermark');
      }
      if (!moved) {
        await this.rollback();
        throw watermarkConflict(this.o.side, this.applied.watermark);
      }
      failpoint('apply.before-commit');
      await this.conn.query('COMMIT');
    });
    this.inTransaction = false;
    const totals = { ...this.applied.totals };
    for (const n of this.txnCounts.values()) {
      totals.c += n.c;
      totals.u += n.u;
      totals.d += n.d;
    }
    this.applied = { watermark, totals };
    this.txnChunks = [];
    failpoint('apply.after-commit');
  }

  /** After a lock conflict: the transaction is gone (or must go: a lock wait timeout rolls back only its statement). */
  private async abandon(): Promise<void> {
    this.inTransaction = false;
    await this.conn.query('ROLLBACK').catch(() => undefined);
  }

  async rollback(): Promise<void> {
    if (!this.inTransaction) return;
    this.txnChunks = [];
    await this.abandon();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.rollback();
    await this.conn.end().catch(() => this.conn.destroy());
  }
}
