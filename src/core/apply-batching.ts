/**
 * Planning the application of queued changes (pure, no I/O).
 *
 * Many source transactions are applied in one target transaction that always ends on a source commit
 * (so the target only ever shows states the source really had). Inside such a group the events are
 * compacted per row, following each row by its key even when the key changes, into the net effect of
 * the group on the rows that existed before it:
 *
 *   insert → update(s)            one insert with the merged values
 *   insert → … → delete           nothing
 *   update → update               one update; later values win; columns absent from every event (unchanged
 *                                 TOASTed values) stay absent, so they are never overwritten
 *   update(s) → delete            a delete of the row's ORIGINAL key
 *   delete → insert (same key)    a delete, then an insert with the full new values
 *   key update                    the row moves; an update that matches the original key and sets the new one
 *
 * The net effect is then applied set-based, per table: all deletes, then updates grouped by the set of
 * columns they set, then inserts grouped by their columns. That order never breaks the primary key by
 * itself except when keys move in cycles or shifts, and unique constraints between different rows (swaps,
 * a unique value freed and taken in the same group) may still be hit: the applier then re-applies that
 * table's events one by one in exact source order (see `events`), which is exactly what the source did.
 */
import type { DataEvent, QueueEvent, Row } from './change-event.js';
import { isDataEvent } from './change-event.js';

export interface UpdateGroup {
  /** Columns set by every row of the group, sorted; includes the key columns when the key moves. */
  setColumns: string[];
  rows: { key: Row; values: Row }[];
}

export interface InsertGroup {
  /** Columns of every row of the group, sorted. */
  columns: string[];
  rows: Row[];
}

export interface EventCounts {
  c: number;
  u: number;
  d: number;
}

/** The net effect of a chunk of events on one table. */
export interface TableChanges {
  schema: string;
  table: string;
  /** Key columns, sorted (from the events' `key`). */
  keyColumns: string[];
  /** Original keys of rows that no longer exist (or are replaced by a full insert). Applied first. */
  deletes: Row[];
  updates: UpdateGroup[];
  inserts: InsertGroup[];
  /** The raw events in vsn order: what the ordered fallback applies one by one. */
  events: DataEvent[];
  counts: EventCounts;
  /**
   * The events make no sense as a sequence on unique keys (an insert of a key that exists, a key moved onto
   * an existing row): compaction could hide that, so apply this table's events one by one and let the
   * database decide.
   */
  orderedOnly: boolean;
}

/**
 * One row followed through the chunk, from its key at the start to its key now. Rows are shared with the
 * events, never copied on the way (the ordered fallback applies the same events): a row held here is
 * changed only once this chain owns it (`ownsValues`).
 */
interface Chain {
  /** Key before the chunk (only meaningful when `existed`): exactly the key columns. */
  origKey: Row;
  /** The row existed on the target before the chunk (its first event was an update or a delete). */
  existed: boolean;
  present: boolean;
  /** Holds the current key's columns (and maybe others: it may be the inserted row). */
  curKey: Row;
  /** Known column values: every column when `full`, else only those the updates carried. */
  values: Row;
  /** `values` is this chain's own copy, not an event's row: updates may merge into it. */
  ownsValues: boolean;
  /** An insert happened in this chain since it was last deleted: `values` is the whole row. */
  full: boolean;
}

const NO_VALUES: Row = Object.freeze({}) as Row;

/** The columns of one distinct row shape and what rows of that shape go to. */
interface ShapeGroup<G> {
  keys: string[];
  group: G;
}

class TableCompactor {
  readonly keyColumns: string[];
  private readonly chains: Chain[] = [];
  /** Current key → the chain whose row is (or was last, for tombstones) at that key. */
  private readonly byKey = new Map<string, Chain>();
  readonly events: DataEvent[] = [];
  readonly counts: EventCounts = { c: 0, u: 0, d: 0 };
  orderedOnly = false;

  constructor(
    readonly schema: string,
    readonly table: string,
    first: DataEvent,
  ) {
    this.keyColumns = Object.keys(first.key).sort();
  }

  /** The key of `from` with the key columns `overlay` carries laid over it, as a string; no row is built for it. */
  private keyString(from: Row, overlay?: Row): string {
    const cols = this.keyColumns;
    if (cols.length === 1) {
      // The common case (one key column) without building a string.
      const c = cols[0];
      const v = overlay !== undefined && c in overlay ? overlay[c] : from[c];
      return v === null || v === undefined ? '\u0000N' : v;
    }
    let s = '';
    for (const c of cols) {
      const v = overlay !== undefined && c in overlay ? overlay[c] : from[c];
      s += v === null || v === undefined ? '\u0000N' : '\u0001' + v;
      s += '\u0002';
    }
    return s;
  }

  private pickKey(from: Row, overlay?: Row): Row {
    const k: Row = {};
    for (const c of this.keyColumns) k[c] = overlay && c in overlay ? overlay[c] : from[c];
    return k;
  }

  private hasKeyColumns(r: Row): boolean {
    for (const c of this.keyColumns) if (!(c in r)) return false;
    return true;
  }

  /** `key` has exactly the key columns (counted, not listed: this runs for every event). */
  private isKey(key: Row): boolean {
    let n = 0;
    for (const c in key) if (Object.hasOwn(key, c)) n++;
    return n === this.keyColumns.length && this.hasKeyColumns(key);
  }

  add(e: DataEvent): void {
    this.events.push(e);
    this.counts[e.op]++;
    if (this.orderedOnly) return;
    if (!this.isKey(e.key)) {
      // The table's replica identity changed mid-stream: rows cannot be followed by key.
      this.orderedOnly = true;
      return;
    }
    switch (e.op) {
      case 'c':
        return this.insert(e);
      case 'u':
        return this.update(e);
      case 'd':
        return this.delete(e);
    }
  }

  private insert(e: DataEvent): void {
    const after = e.after ?? NO_VALUES;
    const ks = this.keyString(e.key, after);
    const ch = this.byKey.get(ks);
    if (ch?.present) {
      this.orderedOnly = true; // insert of a key that exists: the source could not have done that
      return;
    }
    // The inserted row is its own current key when it carries the key columns (a full row does).
    const key = this.hasKeyColumns(after) ? after : this.pickKey(e.key, after);
    if (ch) {
      // The row at this key was deleted earlier in the chunk; the same chain now holds the new row.
      ch.present = true;
      ch.curKey = key;
      ch.values = after;
      ch.ownsValues = false;
      ch.full = true;
      return;
    }
    const fresh: Chain = { origKey: key, existed: false, present: true, curKey: key, values: after, ownsValues: false, full: true };
    this.chains.push(fresh);
    this.byKey.set(ks, fresh);
  }

  private update(e: DataEvent): void {
    const after = e.after ?? NO_VALUES;
    const oldKs = this.keyString(e.key);
    const newKs = this.keyString(e.key, after);
    let ch = this.byKey.get(oldKs);
    if (ch && !ch.present) return; // updates a row deleted earlier in the chunk: matches nothing, like on the source
    if (!ch) {
      ch = { origKey: e.key, existed: true, present: true, curKey: e.key, values: after, ownsValues: false, full: false };
      this.chains.push(ch);
      this.byKey.set(oldKs, ch);
    } else {
      if (!ch.ownsValues) {
        ch.values = { ...ch.values };
        ch.ownsValues = true;
      }
      Object.assign(ch.values, after);
    }
    if (newKs !== oldKs) {
      const there = this.byKey.get(newKs);
      if (there?.present) {
        this.orderedOnly = true; // key moved onto a live row
        return;
      }
      // A tombstone at the new key keeps its own delete; it just no longer owns the key.
      this.byKey.delete(oldKs);
      this.byKey.set(newKs, ch);
      ch.curKey = this.pickKey(e.key, after);
    }
  }

  private delete(e: DataEvent): void {
    const ks = this.keyString(e.key);
    const ch = this.byKey.get(ks);
    if (ch && !ch.present) return; // already gone
    if (!ch) {
      const gone: Chain = { origKey: e.key, existed: true, present: false, curKey: e.key, values: NO_VALUES, ownsValues: false, full: false };
      this.chains.push(gone);
      this.byKey.set(ks, gone);
      return;
    }
    ch.present = false;
    ch.values = NO_VALUES;
    ch.ownsValues = false;
    ch.full = false;
  }

  /** `values` with the key columns of `key` where they differ (an update that did not carry the key). */
  private withKey(values: Row, key: Row): Row {
    let out = values;
    for (const c of this.keyColumns) {
      if (values[c] === key[c]) continue;
      if (out === values) out = { ...values };
      out[c] = key[c];
    }
    return out;
  }

  result(): TableChanges {
    const base = { schema: this.schema, table: this.table, keyColumns: this.keyColumns, events: this.events, counts: this.counts };
    if (this.orderedOnly) return { ...base, deletes: [], updates: [], inserts: [], orderedOnly: true };
    const deletes: Row[] = [];
    const inserts = new ShapeGrouper<InsertGroup>(new Map(), (keys) => {
      const columns = [...keys].sort();
      return { sig: columns.join('\u0000'), make: () => ({ columns, rows: [] }) };
    });
    // An update sets the columns it carries, except the key columns unless the key moved (those are matched).
    const updateGroups = new Map<string, UpdateGroup>();
    const updateSets = (keyMoved: boolean) =>
      new ShapeGrouper<UpdateGroup>(updateGroups, (keys) => {
        const setColumns = (keyMoved ? [...keys] : keys.filter((c) => !this.keyColumns.includes(c))).sort();
        return { sig: setColumns.join('\u0000'), make: () => ({ setColumns, rows: [] }) };
      });
    const updates = updateSets(false);
    const keyMoves = updateSets(true);
    for (const ch of this.chains) {
      if (!ch.present) {
        if (ch.existed) deletes.push(ch.origKey);
        continue;
      }
      // `values` carries the current key already when the events carried it (they do: full rows); else add it.
      const values = this.withKey(ch.values, ch.curKey);
      if (!ch.existed) {
        inserts.groupOf(values).rows.push(values);
      } else if (ch.full) {
        deletes.push(ch.origKey);
        inserts.groupOf(values).rows.push(values);
      } else {
        const keyMoved = this.keyString(ch.curKey) !== this.keyString(ch.origKey);
        const g = (keyMoved ? keyMoves : updates).groupOf(values);
        // No columns: nothing to change (an update of a key-only row that kept its key); the group is left out.
        if (!g.setColumns.length) continue;
        const set: Row = {};
        for (const c of g.setColumns) set[c] = values[c];
        g.rows.push({ key: ch.origKey, values: set });
      }
    }
    return { ...base, deletes, updates: [...updateGroups.values()].filter((g) => g.setColumns.length), inserts: [...inserts.groups.values()], orderedOnly: false };
  }
}

/**
 * Rows to groups by their columns. Rows of one table mostly have the same columns in the same order: a row
 * is compared with the previous row's columns first, then looked up by its columns as they come; each
 * distinct order is described once, and rows go to the group of the signature `describe` returns for it.
 */
class ShapeGrouper<G> {
  private last: ShapeGroup<G> | undefined;
  private readonly byShape = new Map<string, ShapeGroup<G>>();

  constructor(
    /** Signature → group, in first-seen order (may be shared between groupers). */
    readonly groups: Map<string, G>,
    private readonly describe: (keys: string[]) => { sig: string; make: () => G },
  ) {}

  groupOf(row: Row): G {
    const last = this.last;
    if (last && sameKeys(row, last.keys)) return last.group;
    const keys = Object.keys(row);
    const shape = keys.join('\u0000');
    let sg = this.byShape.get(shape);
    if (!sg) {
      const d = this.describe(keys);
      let group = this.groups.get(d.sig);
      if (!group) this.groups.set(d.sig, (group = d.make()));
      this.byShape.set(shape, (sg = { keys, group }));
    }
    this.last = sg;
    return sg.group;
  }
}

/** Whether `row`'s own keys are `keys`, in that order (without building its key list). */
function sameKeys(row: Row, keys: readonly string[]): boolean {
  let i = 0;
  for (const k in row) if (k !== keys[i++]) return false;
  return i === keys.length;
}

/**
 * Compacts a chunk of events fed in vsn order, in as many steps as the caller likes (an applier feeds it in
 * slices so its event loop stays responsive meanwhile); `result()` once at the end.
 */
export class ChunkCompactor {
  // schema → table → compactor, in first-seen order (no key string built per event: tables interleave).
  private readonly tables = new Map<string, Map<string, TableCompactor>>();
  private readonly order: TableCompactor[] = [];
  private last: TableCompactor | undefined;

  add(e: QueueEvent): void {
    if (!isDataEvent(e)) return;
    let last = this.last;
    // Consecutive events are often of the same table: skip the lookup then.
    if (!last || last.table !== e.table || last.schema !== e.schema) {
      let bySchema = this.tables.get(e.schema);
      if (!bySchema) this.tables.set(e.schema, (bySchema = new Map()));
      last = bySchema.get(e.table);
      if (!last) {
        bySchema.set(e.table, (last = new TableCompactor(e.schema, e.table, e)));
        this.order.push(last);
      }
      this.last = last;
    }
    last.add(e);
  }

  result(): TableChanges[] {
    return this.order.map((t) => t.result());
  }
}

/** Compact a chunk of events (any mix of tables, in vsn order) into per-table net effects. */
export function compactChunk(events: readonly QueueEvent[]): TableChanges[] {
  const c = new ChunkCompactor();
  for (const e of events) c.add(e);
  return c.result();
}

export interface GroupLimits {
  /** Commit at the first source commit boundary once the group holds this many events. */
  maxGroupEvents: number;
  /** Commit at the first boundary once the group has been open this long, even if more input is waiting. */
  maxGroupMs: number;
  /**
   * A single source transaction bigger than this is applied in chunks inside one target transaction,
   * so memory stays bounded whatever the transaction's size.
   */
  maxChunkEvents: number;
}

/** What the applier does next with the events it has gathered. */
export type GroupStep =
  /** Apply `take` events and commit the target transaction (they end on a commit boundary). */
  | { kind: 'commit'; take: number }
  /** Apply `take` events inside the open transaction without committing (a huge source transaction). */
  | { kind: 'chunk'; take: number }
  /** Commit what is pending (if anything), then hand the marker at index `at` to the cutover handler. */
  | { kind: 'marker'; at: number }
  /** Wait for more input. */
  | { kind: 'wait' };

/**
 * Decide where the current group ends. `pending` are events gathered but not yet applied (the group's open
 * transaction may already hold earlier chunks: `groupEvents` counts all of them, `groupAgeMs` since its
 * first event). `inputIdle` is true when no more input is buffered right now.
 */
export function nextGroupStep(
  pending: readonly QueueEvent[],
  groupEvents: number,
  groupAgeMs: number,
  inputIdle: boolean,
  limits: GroupLimits,
): GroupStep {
  // Look no further than one chunk ahead: a group never takes more than maxChunkEvents at once, so a huge
  // source transaction is applied in pieces and memory stays bounded.
  const cap = Math.max(1, limits.maxChunkEvents);
  const scan = Math.min(pending.length, cap);
  let lastBoundary = -1;
  let boundaryAtLimit = -1;
  for (let i = 0; i < scan; i++) {
    const op = pending[i].op;
    if (op === 'commit') {
      lastBoundary = i;
      if (groupEvents + i + 1 >= limits.maxGroupEvents) {
        boundaryAtLimit = i;
        break;
      }
    } else if (op === 'cutover.target' || op === 'cutover.source') {
      // Everything before the marker is committed first; the marker is handled once it is at the front.
      // (A marker inside a source transaction comes back as { at > 0 } once the complete transactions
      // before it are committed: the applier refuses it rather than split a source transaction.)
      if (lastBoundary >= 0) return { kind: 'commit', take: lastBoundary + 1 };
      return { kind: 'marker', at: i };
    }
  }
  if (boundaryAtLimit >= 0) return { kind: 'commit', take: boundaryAtLimit + 1 };
  if (lastBoundary >= 0 && (inputIdle || groupAgeMs >= limits.maxGroupMs || pending.length >= cap)) {
    return { kind: 'commit', take: lastBoundary + 1 };
  }
  // No source commit within one chunk: apply a chunk of the big transaction, keep the target transaction open.
  if (pending.length >= cap) return { kind: 'chunk', take: cap };
  return { kind: 'wait' };
}
