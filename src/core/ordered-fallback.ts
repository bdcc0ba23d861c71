/**
 * What every change sink does with one chunk of compacted changes (apply-batching.ts): each table set-based,
 * and when a table's set-based statements hit a constraint that another order could avoid (a unique swap, a
 * key shifted onto one moved away later), the chunk is undone — to its savepoint, or the whole transaction for
 * the first chunk — and that table's events are applied one by one in source order, the way the source did. A
 * table that conflicted once tends to again (hot unique values), so it stays ordered for a few chunks.
 * The sink supplies the statements; this keeps the order of things, in one place.
 */
import type { TableChanges } from './apply-batching.js';
import { tableKey } from './change-event.js';

/** Chunks a table stays ordered after a conflict. */
const ORDERED_CHUNKS = 8;

export interface ChunkOps {
  /** Events that must go one by one from the start (orderedOnly, keys that identify no single row). */
  mustOrder(c: TableChanges): boolean;
  setBased(c: TableChanges): Promise<void>;
  ordered(c: TableChanges): Promise<void>;
  /** A different statement order may avoid this error. */
  isOrderSensitive(e: unknown): boolean;
  /** The error to throw for a failure the fallback cannot cure (`c`: the table being applied, if any). */
  fail(e: unknown, c: TableChanges | undefined): unknown;
  /** Set-based apply of `c` conflicted: it goes one by one now (for the log). */
  onConflict(c: TableChanges, e: unknown): void;
  /** Savepoints around a chunk that is not the transaction's first. */
  savepoint(): Promise<void>;
  releaseSavepoint(): Promise<void>;
  rollbackToSavepoint(): Promise<void>;
  /** The first chunk conflicted: roll the transaction back and begin it again. */
  restartTransaction(): Promise<void>;
}

export class OrderedFallback {
  private readonly orderedFor = new Map<string, number>();

  /** Some table still goes one by one after a recent conflict. */
  get ordering(): boolean {
    return this.orderedFor.size > 0;
  }

  /** Apply one chunk inside the open transaction; `first`: it is the transaction's first chunk. */
  async apply(changes: readonly TableChanges[], first: boolean, ops: ChunkOps): Promise<void> {
    const forced = new Set<string>();
    for (const c of changes) {
      const k = tableKey(c.schema, c.table);
      if (ops.mustOrder(c) || (this.orderedFor.get(k) ?? 0) > 0) forced.add(k);
    }
    for (;;) {
      if (!first) await ops.savepoint();
      let current: TableChanges | undefined;
      try {
        for (const c of changes) {
          current = c;
          await (forced.has(tableKey(c.schema, c.table)) ? ops.ordered(c) : ops.setBased(c));
        }
        current = undefined;
        if (!first) await ops.releaseSavepoint();
        break;
      } catch (e) {
        const k = current && tableKey(current.schema, current.table);
        if (!current || !k || forced.has(k) || !ops.isOrderSensitive(e)) throw ops.fail(e, current);
        ops.onConflict(current, e);
        forced.add(k);
        this.orderedFor.set(k, ORDERED_CHUNKS);
        await (first ? ops.restartTransaction() : ops.rollbackToSavepoint());
      }
    }
    for (const [k, n] of this.orderedFor) {
      if (n <= 1) this.orderedFor.delete(k);
      else this.orderedFor.set(k, n - 1);
    }
  }
}
