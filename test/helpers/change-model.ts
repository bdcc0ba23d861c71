/**
 * An in-memory model of tables with a primary key `id` and a nullable UNIQUE column `u`, for testing the
 * compaction of change events: apply events one by one (what the source did), or apply compacted
 * changes the way the set-based statements do (deletes, then each UPDATE statement as a whole, then
 * inserts), and compare. Also generates random valid workloads that provoke every tricky case: key
 * moves, keys and unique values freed and reused in the same chunk, updates that omit a TOASTed column.
 */
import type { TableChanges } from '../../src/core/apply-batching.js';
import type { DataEvent, QueueEvent, Row } from '../../src/core/change-event.js';

/** table → id → row */
export type Model = Record<string, Record<string, Row>>;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniqueOk(rows: Record<string, Row>): boolean {
  const seen = new Set<string>();
  for (const r of Object.values(rows)) {
    const u = r.u;
    if (u === null || u === undefined) continue;
    if (seen.has(u)) return false;
    seen.add(u);
  }
  return true;
}

/** Apply one event as the source did; returns the violated constraint, or undefined. */
export function applyEvent(model: Model, e: DataEvent): string | undefined {
  const rows = (model[e.table] ??= {});
  const id = e.key.id!;
  if (e.op === 'c') {
    if (rows[id]) return 'pk';
    rows[id] = { ...e.after };
  } else if (e.op === 'd') {
    delete rows[id];
  } else {
    const row = rows[id];
    if (!row) return undefined;
    const merged = { ...row, ...e.after };
    const newId = merged.id!;
    if (newId !== id && rows[newId]) return 'pk';
    delete rows[id];
    rows[newId] = merged;
  }
  return uniqueOk(rows) ? undefined : 'unique';
}

/** Apply compacted changes statement by statement (each checked as a whole); false on a constraint conflict. */
export function applyCompacted(model: Model, changes: TableChanges[]): boolean {
  for (const t of changes) {
    const rows = (model[t.table] ??= {});
    if (t.orderedOnly) {
      for (const e of t.events) if (applyEvent(model, e)) return false;
      continue;
    }
    for (const k of t.deletes) delete rows[k.id!];
    for (const g of t.updates) {
      const matched = g.rows.filter((r) => rows[r.key.id!]).map((r) => ({ old: rows[r.key.id!], r }));
      for (const m of matched) delete rows[m.r.key.id!];
      for (const m of matched) {
        const merged = { ...m.old, ...m.r.values };
        if (rows[merged.id!]) return false;
        rows[merged.id!] = merged;
      }
      if (!uniqueOk(rows)) return false;
    }
    for (const g of t.inserts) {
      for (const r of g.rows) {
        if (rows[r.id!]) return false;
        rows[r.id!] = { ...r };
      }
      if (!uniqueOk(rows)) return false;
    }
  }
  return true;
}

export interface Workload {
  initial: Model;
  /** Data events and commits, vsn from 1. */
  events: DataEvent[];
  withCommits: QueueEvent[];
}

const TABLES = ['t', 'o'];
const KEY_SPACE = 10;
const U_SPACE = 6;

/** A random workload that the source could really have produced (every event valid when applied in order). */
export function randomWorkload(rnd: () => number, steps: number, opts: { tables?: string[]; keySpace?: number } = {}): Workload {
  const tables = opts.tables ?? TABLES;
  const keySpace = opts.keySpace ?? KEY_SPACE;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const text = () => (rnd() < 0.1 ? null : `v${Math.floor(rnd() * 1000)}`);
  const initial: Model = {};
  for (const t of tables) {
    initial[t] = {};
    const usedU = new Set<string>();
    for (let id = 1; id <= keySpace; id++) {
      if (rnd() < 0.4) continue;
      let u: string | null = String(1 + Math.floor(rnd() * U_SPACE));
      if (usedU.has(u)) u = null;
      else usedU.add(u);
      initial[t][String(id)] = { id: String(id), u, v: text(), big: `big${id}` };
    }
  }
  const model: Model = structuredClone(initial);
  const events: DataEvent[] = [];
  const withCommits: QueueEvent[] = [];
  let vsn = 0;
  let inTxn = 0;
  const freeU = (rows: Record<string, Row>, except?: string) => {
    const used = new Set(Object.values(rows).filter((r) => r.id !== except).map((r) => r.u));
    return Array.from({ length: U_SPACE }, (_, i) => String(i + 1)).filter((u) => !used.has(u));
  };
  while (events.length < steps) {
    const table = pick(tables);
    const rows = model[table];
    const present = Object.keys(rows);
    const absent = Array.from({ length: keySpace }, (_, i) => String(i + 1)).filter((id) => !rows[id]);
    const r = rnd();
    let e: DataEvent | undefined;
    if (r < 0.3 && absent.length) {
      const id = pick(absent);
      const fu = freeU(rows);
      const u = fu.length && rnd() < 0.7 ? pick(fu) : null;
      e = { vsn: ++vsn, op: 'c', schema: 'public', table, key: { id }, after: { id, u, v: text(), big: `big${vsn}` } };
    } else if (r < 0.8 && present.length) {
      const id = pick(present);
      const newId = rnd() < 0.25 && absent.length ? pick(absent) : id;
      const fu = freeU(rows, id);
      const roll = rnd();
      const u = roll < 0.3 ? rows[id].u : roll < 0.55 ? null : fu.length ? pick(fu) : null;
      const after: Row = { id: newId, u, v: text() };
      // Half the updates leave the big column out, as pgoutput does for an unchanged TOASTed value.
      if (rnd() < 0.5) after.big = `big${vsn + 1}x`;
      e = { vsn: ++vsn, op: 'u', schema: 'public', table, key: { id }, after };
    } else if (present.length) {
      const id = pick(present);
      e = { vsn: ++vsn, op: 'd', schema: 'public', table, key: { id } };
    }
    if (!e) continue;
    const err = applyEvent(model, e);
    if (err) throw new Error(`workload generator made an invalid event: ${err}`);
    events.push(e);
    withCommits.push(e);
    inTxn++;
    if (inTxn >= 1 + Math.floor(rnd() * 4)) {
      withCommits.push({ vsn: ++vsn, op: 'commit', pos: `0/${vsn}` });
      inTxn = 0;
    }
  }
  if (inTxn) withCommits.push({ vsn: ++vsn, op: 'commit', pos: `0/${vsn}` });
  return { initial, events, withCommits };
}
