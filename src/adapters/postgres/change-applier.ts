/**
 * Applies compacted change events to a PostgreSQL-compatible database through one session: the target in
 * the forward direction, the source in fall-back (the same code, pointed elsewhere).
 *
 * A target transaction holds one or more chunks and ends with the watermark statement, so the database
 * always holds exactly the events up to its watermark. Each chunk is applied set-based per table; if a
 * table's set-based statements hit a constraint (a unique swap between rows, a key shifted onto a key
 * that is moved away later in the same statement), the chunk is rolled back (the whole transaction for
 * the first chunk, a savepoint for later ones) and that table's events are applied one by one in source
 * order, the way the source applied them. If that fails too, the data really conflicts: a DbError.
 *
 * The session runs with session_replication_role = replica: no user trigger and no foreign-key check fires.
 */
import type pg from 'pg';
import type { EventCounts, TableChanges } from '../../core/apply-batching.js';
import { COPY_TEXT_SESSION_SETTINGS } from '../../core/copy-text.js';
import { tableKey } from '../../core/change-event.js';
import { DbError, InternalError, UserError, watermarkConflict } from '../../infra/errors.js';
import { failpoint } from '../../infra/failpoints.js';
import type { Logger } from '../../infra/logger.js';
import type { ConnSecret, ConnSettings } from '../../core/connection.js';
import { connect } from './connection.js';
import { mapQueryError } from './errors.js';
import { deleteActionStatements, loadDeleteActions, type ForeignKeyAction } from './foreign-key-actions.js';
import { grantHint } from './replication-role.js';
import { deleteMany, rowsByKeysSql, withKeyArrays, identifiesRows, insertMany, loadTableInfo, oneEvent, settable, updateMany, writable, type TableInfo } from './change-sql.js';
import { ensureEventMetadata, readAppliedState, WATERMARK_CONFLICT, watermarkStatement, type AppliedState, type TableCountDelta } from './event-metadata.js';
import { corkForThisTick } from './tick-cork.js';
import { OrderedFallback } from '../../core/ordered-fallback.js';

export interface ChangeApplierOptions {
  migrationUuid: string;
  /** Which database this is, for messages: 'target' or 'source'. */
  side: string;
  log: Logger;
  applicationName?: string;
  /** The stream lacks the rows foreign-key actions change (MySQL binlog): do ON DELETE actions here. */
  applyForeignKeyActions?: boolean;
}

/** SQLSTATE classes that a different statement order can cause, and the ordered fallback may avoid. */
function isOrderSensitive(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? '';
  return code.startsWith('23');
}

export class ChangeApplier {
  /** Loaded once per table and session; a failed load is forgotten, so the next use tries again. */
  private readonly tables = new Map<string, Promise<TableInfo>>();
  private readonly deleteActions = new Map<string, Promise<ForeignKeyAction[]>>();
  private inTransaction = false;
  private begun: Promise<unknown> | undefined;
  private closed = false;
  private chunksInTransaction = 0;
  private txnCounts = new Map<string, TableCountDelta>();
  /** Set-based per table, one by one after a conflict (core/ordered-fallback.ts). */
  private readonly fallback = new OrderedFallback();
  /** Committed state: the watermark and totals in the database. */
  applied: AppliedState;
  /** Events applied one by one because set-based conflicted (for logs and tests). */
  fallbackEvents = 0;
  sessionLost: unknown;
  /**
   * A commit may not be durable yet (synchronous_commit = off). True at first: an earlier session's last
   * commits may still wait for the WAL writer.
   */
  private unflushed = true;
  /** The last group sent ahead (sendGroup), settled once committed, applied again, or failed. */
  private lastGroup: Promise<GroupOutcome> = Promise.resolve({});
  private groupsInFlight = 0;
  /** Where the last group sent ahead moves the watermark: the next one moves it on from there. */
  private lastSentWatermark = 0;
  /** A group sent ahead failed or is being applied again: nothing more is sent ahead until all have settled. */
  private troubleAhead = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly o: ChangeApplierOptions,
    applied: AppliedState,
  ) {
    this.applied = applied;
    client.on('error', (e) => (this.sessionLost ??= e));
  }

  static async open(settings: ConnSettings, secret: ConnSecret, o: ChangeApplierOptions): Promise<ChangeApplier> {
    // Pipelined: a group's BEGIN and statements go out together, its watermark and COMMIT too.
    const client = await connect(settings, secret, { applicationName: o.applicationName ?? `yb-voyager apply changes (${o.side})`, pipeline: true });
    try {
      await setUpSession(client, settings.user, o.side);
      const applied = await ensureEventMetadata(client, o.migrationUuid);
      return new ChangeApplier(client, o, applied);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
  }

  private query(q: pg.QueryConfig | string): Promise<pg.QueryResult> {
    corkForThisTick(this.client);
    const sent = this.client.query(q as pg.QueryConfig);
    // A BEGIN sent ahead without waiting (begin()): its failure is reported by the next statement's promise.
    const begun = this.begun;
    if (!begun) return sent;
    this.begun = undefined;
    sent.catch(() => undefined);
    return begun.then(() => sent);
  }

  /** Open the transaction without a round trip of its own: BEGIN travels with the statements that follow. */
  private begin(): void {
    corkForThisTick(this.client);
    this.begun = this.client.query('BEGIN');
    this.begun.catch(() => undefined); // observed through the next query()
    this.inTransaction = true;
    this.txnCounts = new Map();
  }

  /**
   * Send all at once and wait for each in order. The first failure is thrown: the ones after it fail only
   * because it aborted the transaction (and are still answered, in order, before anything sent later).
   */
  private async pipelined(qs: readonly (pg.QueryConfig | string)[]): Promise<void> {
    const sent = qs.map((q) => this.query(q));
    for (const p of sent) p.catch(() => undefined);
    for (const p of sent) await p;
  }

  private table(schema: string, table: string): Promise<TableInfo> {
    const k = tableKey(schema, table);
    let t = this.tables.get(k);
    if (!t) {
      this.tables.set(k, (t = loadTableInfo(this.client, schema, table, this.o.side)));
      t.catch(() => this.tables.delete(k));
    }
    return t;
  }

  /** Statements doing the ON DELETE actions for the rows `rowsSql` selects ([] unless the stream lacks them). */
  private async foreignKeyActions(t: TableInfo, rowsSql: string): Promise<string[]> {
    if (!this.o.applyForeignKeyActions) return [];
    const actionsOf = (table: string) => {
      let a = this.deleteActions.get(table);
      if (!a) this.deleteActions.set(table, (a = loadDeleteActions(this.client, table)));
      return a;
    };
    try {
      return await deleteActionStatements(t.qualified, rowsSql, actionsOf);
    } catch (e) {
      if (e instanceof DbError) throw e;
      throw new UserError(`cannot apply the foreign-key actions of a delete on ${t.qualified}: ${(e as Error).message}`, 'see docs/mysql.md (foreign keys with ON DELETE actions)', 'config');
    }
  }

  /** Apply one chunk of compacted changes inside the open transaction (opening it if needed). */
  async applyChunk(changes: readonly TableChanges[]): Promise<void> {
    if (!this.inTransaction) {
      this.begin();
      this.chunksInTransaction = 0;
    }
    const ordered = await this.orderedOnly(changes);
    await this.fallback.apply(changes, this.chunksInTransaction === 0, {
      mustOrder: (c) => ordered.has(c),
      setBased: (c) => this.applySetBased(c),
      ordered: (c) => this.applyOrdered(c),
      isOrderSensitive,
      fail: applyFailure,
      onConflict: (c, e) => this.o.log.info('set-based apply hit a constraint; applying this table\'s events one by one in source order', {
        table: `${c.schema}.${c.table}`, sqlState: (e as { code?: string }).code, events: c.events.length,
      }),
      savepoint: () => this.query('SAVEPOINT ybv_chunk').then(() => undefined),
      releaseSavepoint: () => this.query('RELEASE SAVEPOINT ybv_chunk').then(() => undefined),
      rollbackToSavepoint: () => this.query('ROLLBACK TO SAVEPOINT ybv_chunk').then(() => undefined),
      restartTransaction: async () => {
        await this.query('ROLLBACK');
        await this.query('BEGIN');
      },
    });
    for (const c of changes) addCounts(this.txnCounts, c.schema, c.table, c.counts);
    this.chunksInTransaction++;
    failpoint('apply.after-chunk');
  }

  /**
   * applyChunk + commit for a group that is one chunk, in one round trip (sendGroup, then wait for it).
   */
  async applyGroup(changes: readonly TableChanges[], watermark: number): Promise<void> {
    await (await this.sendGroup(changes, watermark)).committed;
  }

  /**
   * Send a group that is one chunk, committed with `watermark`, and return once it is sent: BEGIN, every table's
   * set-based statements, the watermark and COMMIT go out together, and the next group may be sent before this
   * one's reply is back (the session answers in order). `committed` settles once this group is committed, or
   * failed; groups commit in the order sent.
   *
   * Why groups sent ahead cannot commit past a failed one: each group's watermark statement moves the watermark
   * from where the group before it left it. When a group rolls back, the next one finds the watermark short of
   * that, its statement divides by zero, and its COMMIT rolls it back too. Each is then applied again in two
   * steps (applyChunk + commit), in order; meanwhile nothing new is sent ahead, so the retries stop there.
   *
   * A table that must go one by one (no key here, or a recent conflict) takes the two-step path once every
   * group sent ahead has settled; so does a group whose set-based statements hit a constraint, after its COMMIT
   * rolled back (the ordered fallback then sorts it out). The failpoints of the two steps fire before anything
   * is sent: a kill there leaves the same database as one between the steps.
   */
  async sendGroup(changes: readonly TableChanges[], watermark: number): Promise<{ committed: Promise<void> }> {
    if (this.troubleAhead) await this.settled();
    if (this.inTransaction) throw new InternalError('sendGroup() while a group is open');
    const statements = (await this.orderedOnly(changes)).size || this.fallback.ordering ? undefined : await this.setBasedStatements(changes);
    if (!statements || this.troubleAhead) {
      await this.settled();
      // Tracked like a group sent ahead, so makeDurable() waits for it rather than finding its transaction open.
      const applied = this.applyInTwoSteps(changes, watermark);
      await this.track(applied.then((): GroupOutcome => ({}), (e: unknown) => ({ failed: e })));
      await applied; // its failure, if any
      return { committed: Promise.resolve() };
    }
    const deltas = countDeltas(changes);
    const from = this.groupsInFlight ? this.lastSentWatermark : this.applied.watermark;
    failpoint('apply.after-chunk');
    const begun = this.query('BEGIN');
    const sent = statements.map(({ q, c }) => ({ c, result: this.query(q) }));
    const { moved, ended } = this.sendWatermarkAndCommit(from, watermark, deltas);
    begun.catch(() => undefined);
    for (const s of sent) s.result.catch(() => undefined);
    this.lastSentWatermark = watermark;
    const before = this.lastGroup;
    const outcome = this.track((async (): Promise<GroupOutcome> => {
      const previous = await before;
      try {
        await begun;
        for (const s of sent) await s.result.catch((e: unknown) => Promise.reject(new ChunkFailure(s.c, e)));
        await moved;
      } catch (e) {
        await ended.catch(() => undefined);
        this.troubleAhead = true; // nothing more is sent ahead until every group sent so far has settled
        if ('failed' in previous) return previous; // rolled back by the watermark guard: it failed for the same reason
        if (previous.again || (e instanceof ChunkFailure && isOrderSensitive(e.error))) {
          // Rolled back, like every group sent after it (the watermark guard): in two steps now, in order.
          try {
            await this.applyInTwoSteps(changes, watermark);
            return { again: true };
          } catch (e2) {
            return { failed: e2 };
          }
        }
        if ((e as { code?: string }).code === WATERMARK_CONFLICT) return { failed: watermarkConflict(this.o.side, from) };
        return { failed: e instanceof ChunkFailure ? applyFailure(e.error, e.c) : e };
      }
      try {
        assertCommitted(await ended);
      } catch (e) {
        this.troubleAhead = true;
        return { failed: e };
      }
      this.committed(watermark, deltas);
      return {};
    })());
    const committed = outcome.then((o) => ('failed' in o ? Promise.reject(o.failed) : undefined));
    committed.catch(() => undefined); // reported to whoever awaits it, perhaps only after an earlier group's failure
    return { committed };
  }

  /** A group now on its way: the last one, in flight until `outcome` settles. */
  private track(outcome: Promise<GroupOutcome>): Promise<GroupOutcome> {
    this.groupsInFlight++;
    this.lastGroup = outcome.finally(() => this.groupsInFlight--);
    return this.lastGroup;
  }

  /** Every group sent so far has settled (each one's failure is reported by its own `committed`). */
  private async settled(): Promise<void> {
    let last: Promise<GroupOutcome>;
    do {
      last = this.lastGroup;
      await last;
    } while (last !== this.lastGroup);
    this.troubleAhead = false;
    this.lastGroup = Promise.resolve({}); // a group sent from now on does not follow a failed one
  }

  /** Rolled back or never sent ahead: once more in two steps, where a conflicting table goes one by one. */
  private async applyInTwoSteps(changes: readonly TableChanges[], watermark: number): Promise<void> {
    await this.applyChunk(changes);
    await this.commit(watermark);
  }

  /** Tables whose events must go one by one: keys that do not identify one row here, or marked so upstream. */
  private async orderedOnly(changes: readonly TableChanges[]): Promise<Set<TableChanges>> {
    // Every table's description asked for at once: a first group touching many tables costs one round trip.
    // (Answered in order on the one session, so the first failure is the first table that has one.)
    const infos = await Promise.all(changes.map((c) => this.table(c.schema, c.table)));
    return new Set(changes.filter((c, i) => c.orderedOnly || !identifiesRows(infos[i], c.keyColumns)));
  }

  private async applySetBased(c: TableChanges): Promise<void> {
    await this.pipelined(await this.tableStatements(c));
  }

  private async setBasedStatements(changes: readonly TableChanges[]): Promise<{ q: pg.QueryConfig; c: TableChanges }[]> {
    const out: { q: pg.QueryConfig; c: TableChanges }[] = [];
    for (const c of changes) for (const q of await this.tableStatements(c)) out.push({ q, c });
    return out;
  }

  /** One table's set-based statements, in the order they must run: deletes, updates, inserts. */
  private async tableStatements(c: TableChanges): Promise<pg.QueryConfig[]> {
    const t = await this.table(c.schema, c.table);
    const statements: pg.QueryConfig[] = [];
    if (c.deletes.length) {
      for (const sql of await this.foreignKeyActions(t, rowsByKeysSql(t, c.keyColumns))) statements.push(withKeyArrays(sql, c.keyColumns, c.deletes));
      statements.push(deleteMany(t, c.keyColumns, c.deletes));
    }
    for (const g of c.updates) {
      const cols = settable(t, g.setColumns);
      if (cols.length) statements.push(updateMany(t, c.keyColumns, cols, g.rows));
    }
    for (const g of c.inserts) statements.push(insertMany(t, writable(t, g.columns), g.rows));
    return statements;
  }

  private async applyOrdered(c: TableChanges): Promise<void> {
    const t = await this.table(c.schema, c.table);
    for (const e of c.events) {
      const keyCols = Object.keys(e.key).sort();
      const q = oneEvent(t, keyCols, e);
      if (!q) continue;
      if (e.op === 'd') {
        for (const sql of await this.foreignKeyActions(t, rowsByKeysSql(t, keyCols))) await this.query(withKeyArrays(sql, keyCols, [e.key]));
      }
      try {
        await this.query(q);
      } catch (err) {
        throw mapQueryError(err, `applying change event vsn ${e.vsn} (${opName(e.op)}) to ${t.qualified} in the ${this.o.side} database`);
      }
      this.fallbackEvents++;
    }
  }

  /**
   * Write the watermark (the vsn of the source commit that ends the group) and the counts, and commit.
   * Also used with no open transaction to move the watermark past a marker or empty transactions.
   */
  async commit(watermark: number): Promise<void> {
    if (watermark < this.applied.watermark) throw new InternalError(`watermark would move back from ${this.applied.watermark} to ${watermark}`);
    if (!this.inTransaction) {
      if (watermark === this.applied.watermark) return;
      this.begin();
    }
    await this.end(watermark);
  }

  /**
   * Send the watermark and COMMIT of the open transaction and wait for both. If the watermark statement failed
   * (another importer moved it), the COMMIT found the transaction aborted and rolled back.
   */
  private async end(watermark: number): Promise<void> {
    const deltas = [...this.txnCounts.values()];
    const { moved, ended } = this.sendWatermarkAndCommit(this.applied.watermark, watermark, deltas);
    try {
      await moved;
    } catch (e) {
      await ended.catch(() => undefined);
      this.inTransaction = false;
      if ((e as { code?: string }).code === WATERMARK_CONFLICT) throw watermarkConflict(this.o.side, this.applied.watermark);
      throw e;
    }
    const end = await ended;
    this.inTransaction = false;
    assertCommitted(end);
    this.committed(watermark, deltas);
  }

  /** The last two statements of a transaction, sent at once: move the watermark from `from` to `to`, commit. */
  private sendWatermarkAndCommit(from: number, to: number, deltas: readonly TableCountDelta[]): { moved: Promise<unknown>; ended: Promise<pg.QueryResult> } {
    failpoint('apply.before-commit');
    const moved = this.query(watermarkStatement(this.o.migrationUuid, from, to, deltas));
    const ended = this.query('COMMIT');
    moved.catch(() => undefined); // observed by the caller, in order
    ended.catch(() => undefined);
    return { moved, ended };
  }

  /** A transaction moving the watermark to `watermark` with these counts has committed. */
  private committed(watermark: number, deltas: readonly TableCountDelta[]): void {
    const total = { ...this.applied.totals };
    for (const d of deltas) {
      total.c += d.counts.c;
      total.u += d.counts.u;
      total.d += d.counts.d;
    }
    this.applied = { watermark, totals: total };
    this.unflushed = true;
    failpoint('apply.after-commit');
  }

  /**
   * Every commit so far made durable: the watermark written again in a transaction that commits with
   * synchronous_commit = on. Its commit waits for the WAL flush, which takes every earlier commit with it.
   */
  async makeDurable(): Promise<void> {
    // Its watermark statement expects the watermark where the last commit left it: after every group sent ahead
    // (checked again after each wait: one may have been sent meanwhile; nothing awaits between here and the send).
    while (this.groupsInFlight) await this.settled();
    if (!this.unflushed) return;
    if (this.inTransaction) throw new InternalError('makeDurable() while a group is open');
    const w = this.applied.watermark;
    try {
      await this.pipelined(['BEGIN', 'SET LOCAL synchronous_commit = on', watermarkStatement(this.o.migrationUuid, w, w, []), 'COMMIT']);
    } catch (e) {
      if ((e as { code?: string }).code === WATERMARK_CONFLICT) throw watermarkConflict(this.o.side, w);
      throw e;
    }
    this.unflushed = false;
  }

  /** Events of the open transaction (not yet committed). */
  get openTransaction(): boolean {
    return this.inTransaction;
  }

  async rollback(): Promise<void> {
    if (!this.inTransaction) return;
    this.inTransaction = false;
    await this.query('ROLLBACK').catch(() => undefined);
  }

  /** Re-read the committed watermark (after a lost connection, the commit may or may not have happened). */
  async reload(): Promise<AppliedState> {
    const s = await readAppliedState(this.client, this.o.migrationUuid);
    if (!s) throw new InternalError('the channel row of this migration is missing from the metadata schema');
    this.applied = s;
    return s;
  }

  /** Idempotent: the marker handling closes the session before the run's own cleanup does. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.rollback();
    await this.client.end().catch(() => undefined);
  }
}

/** How a group sent ahead ended: committed as sent ({}), applied again in two steps, or failed (not committed). */
type GroupOutcome = { again?: true; failed?: never } | { failed: unknown };

function addCounts(into: Map<string, TableCountDelta>, schema: string, table: string, counts: EventCounts): void {
  const k = tableKey(schema, table);
  let t = into.get(k);
  if (!t) into.set(k, (t = { schema, table, counts: { c: 0, u: 0, d: 0 } }));
  t.counts.c += counts.c;
  t.counts.u += counts.u;
  t.counts.d += counts.d;
}

function assertCommitted(end: pg.QueryResult): void {
  if (end.command !== 'COMMIT') throw new InternalError(`the apply transaction ended with ${end.command} instead of COMMIT`);
}

/** The event counts of one chunk, per table. */
function countDeltas(changes: readonly TableChanges[]): TableCountDelta[] {
  const into = new Map<string, TableCountDelta>();
  for (const c of changes) addCounts(into, c.schema, c.table, c.counts);
  return [...into.values()];
}

/** A set-based statement of table `c` failed inside a group sent at once. */
class ChunkFailure extends Error {
  constructor(readonly c: TableChanges, readonly error: unknown) {
    super('set-based apply failed');
  }
}

function applyFailure(e: unknown, c: TableChanges | undefined): unknown {
  return e instanceof DbError || e instanceof UserError || e instanceof InternalError
    ? e
    : mapQueryError(e, `applying changes to ${c ? `${c.schema}.${c.table}` : 'the database'}`);
}

function opName(op: 'c' | 'u' | 'd'): string {
  return op === 'c' ? 'insert' : op === 'u' ? 'update' : 'delete';
}

async function setUpSession(client: pg.Client, user: string, side: string): Promise<void> {
  // Sent at once (the session is pipelined), answered in order.
  const role = client.query('SET session_replication_role = replica');
  // Values are read back under the same text settings the snapshot uses (ISO dates, C-locale money…), so a
  // value's text means the same thing whatever the server defaults are.
  const settings = COPY_TEXT_SESSION_SETTINGS.map((sql) => client.query(sql));
  // One plan per statement text: the statements are the same thousands of times, only the arrays change.
  // Not every PostgreSQL-compatible database knows the setting; it is only an optimisation.
  const plans = client.query('SET plan_cache_mode = force_generic_plan').catch(() => undefined);
  // A commit does not wait for the WAL flush (a subscription's apply worker does the same): the watermark is in
  // the same transaction, so a server crash loses both together and the queue still has the events (makeDurable()
  // before the queue lets them go). One fsync less between a source commit and the change being visible here.
  const unsynced = client.query('SET synchronous_commit = off').catch(() => undefined);
  for (const p of settings) p.catch(() => undefined);
  try {
    await role;
  } catch (e) {
    if ((e as { code?: string }).code === '42501') {
      throw new UserError(
        `user '${user}' may not SET session_replication_role on the ${side} database, which applying changes needs (so triggers and foreign keys do not fire twice)`,
        grantHint(user, side === 'source' ? 'source' : 'target'),
        'privilege',
      );
    }
    throw mapQueryError(e, 'setting up the apply session');
  }
  for (const p of settings) await p;
  await plans;
  await unsynced;
}
