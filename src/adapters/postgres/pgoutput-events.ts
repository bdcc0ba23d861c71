/**
 * From pgoutput messages to the queue's change events. Keeps the relation cache (the server sends a
 * Relation message before a table's first change in a session, and again when its definition changes)
 * and decides which table each change belongs to and which values identify its row.
 *
 * Pure: no I/O. The caller handles transactions, positions and durability.
 */
import type { DataEvent, Row } from '../../core/change-event.js';
import { tableKey } from '../../core/change-event.js';
import { UserError } from '../../infra/errors.js';
import { pgTimestampToIso } from './lsn.js';
import type { PgOutputMessage, RelationColumn, TupleValue } from './pgoutput-decoder.js';

export type NewDataEvent = Omit<DataEvent, 'vsn'>;

/** A table whose changes are exported, with its primary key when known (from the snapshot's table list). */
export interface StreamedTable {
  schema: string;
  table: string;
  pk?: readonly string[];
}

export interface RelationEntry {
  schema: string;
  table: string;
  columns: RelationColumn[];
  /** Indexes (into columns) of the values identifying a row; empty for tables we do not export. */
  keyIndexes: number[];
  exported: boolean;
}

export type Translated =
  | { kind: 'begin'; finalLsn: bigint }
  | { kind: 'change'; event: NewDataEvent }
  | { kind: 'commit'; endLsn: bigint; ts: string }
  | { kind: 'truncate'; tables: { schema: string; table: string }[] }
  /** Nothing for the queue (relation/type/origin/message, or a change of a table we do not export). */
  | { kind: 'none'; note?: string };

export class PgOutputTranslator {
  private readonly relations = new Map<number, RelationEntry>();
  private readonly tables: Map<string, StreamedTable> | undefined;

  /** `tables` undefined: export every table the publication sends. */
  constructor(tables?: readonly StreamedTable[]) {
    this.tables = tables ? new Map(tables.map((t) => [tableKey(t.schema, t.table), t])) : undefined;
  }

  translate(m: PgOutputMessage): Translated {
    switch (m.tag) {
      case 'begin':
        return { kind: 'begin', finalLsn: m.finalLsn };
      case 'commit':
        return { kind: 'commit', endLsn: m.endLsn, ts: pgTimestampToIso(m.commitTime) };
      case 'relation':
        return this.relation(m);
      case 'insert': {
        const r = this.relationOf(m.relationId);
        if (!r.exported) return { kind: 'none', note: r.note };
        const after = row(r.rel.columns, m.newTuple);
        return { kind: 'change', event: { op: 'c', schema: r.rel.schema, table: r.rel.table, key: key(r.rel, m.newTuple, 'insert'), after } };
      }
      case 'update': {
        const r = this.relationOf(m.relationId);
        if (!r.exported) return { kind: 'none', note: r.note };
        // The row's identity before the change: the old key when the key changed ('K'), the old row with
        // REPLICA IDENTITY FULL ('O'), else the key is unchanged and the new tuple carries it.
        const old = m.keyTuple ?? m.oldTuple;
        const event: NewDataEvent = {
          op: 'u',
          schema: r.rel.schema,
          table: r.rel.table,
          key: key(r.rel, old ?? m.newTuple, 'update'),
          after: row(r.rel.columns, m.newTuple),
        };
        if (m.oldTuple) event.before = row(r.rel.columns, m.oldTuple);
        return { kind: 'change', event };
      }
      case 'delete': {
        const r = this.relationOf(m.relationId);
        if (!r.exported) return { kind: 'none', note: r.note };
        const old = (m.keyTuple ?? m.oldTuple)!;
        const event: NewDataEvent = { op: 'd', schema: r.rel.schema, table: r.rel.table, key: key(r.rel, old, 'delete') };
        if (m.oldTuple) event.before = row(r.rel.columns, m.oldTuple);
        return { kind: 'change', event };
      }
      case 'truncate': {
        const tables = m.relationIds
          .map((id) => this.relations.get(id))
          .filter((r): r is RelationEntry => r !== undefined && r.exported)
          .map((r) => ({ schema: r.schema, table: r.table }));
        return tables.length ? { kind: 'truncate', tables } : { kind: 'none', note: 'truncate of tables we do not export' };
      }
      case 'type':
      case 'origin':
      case 'message':
        return { kind: 'none' };
    }
  }

  private relation(m: Extract<PgOutputMessage, { tag: 'relation' }>): Translated {
    const wanted = this.tables ? this.tables.get(tableKey(m.schema, m.name)) : { schema: m.schema, table: m.name };
    const entry: RelationEntry = { schema: m.schema, table: m.name, columns: m.columns, keyIndexes: [], exported: wanted !== undefined };
    if (wanted) {
      // Rows are identified by their primary key (as the snapshot recorded it) when the replica identity
      // covers it: with REPLICA IDENTITY FULL the server flags every column, but the key is still the PK.
      // With REPLICA IDENTITY USING INDEX on other columns, the old-key tuples carry only those columns,
      // so they are the key.
      const flagged = m.columns.flatMap((c, i) => (c.isKey ? [i] : []));
      const pk = (wanted.pk ?? []).map((col) => {
        const i = m.columns.findIndex((c) => c.name === col);
        if (i < 0) throw new UserError(`primary-key column ${col} of ${m.schema}.${m.name} is not in the replication stream`, 'the table changed during the migration (DDL is not supported while streaming); restore its definition');
        return i;
      });
      const pkCovered = pk.length > 0 && pk.every((i) => m.columns[i].isKey);
      entry.keyIndexes = pkCovered || flagged.length === 0 ? pk : flagged;
    }
    this.relations.set(m.relationId, entry);
    return { kind: 'none', note: wanted ? undefined : `changes of ${m.schema}.${m.name} are not exported (not in the table list)` };
  }

  /** The table a change message belongs to, when its changes are exported (for the direct line encoder). */
  exportedRelation(id: number): RelationEntry | undefined {
    const rel = this.relations.get(id);
    return rel?.exported ? rel : undefined;
  }

  private relationOf(id: number): { exported: true; rel: RelationEntry } | { exported: false; note: string } {
    const rel = this.relations.get(id);
    if (!rel) return { exported: false, note: `change of unknown relation oid ${id} ignored` };
    if (!rel.exported) return { exported: false, note: `change of ${rel.schema}.${rel.table} ignored (not exported)` };
    return { exported: true, rel };
  }
}

/** Values of a tuple by column name; unchanged TOASTed values are left out (absent, never null). */
function row(columns: RelationColumn[], values: TupleValue[]): Row {
  const out: Row = {};
  const n = Math.min(columns.length, values.length);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== undefined) out[columns[i].name] = v;
  }
  return out;
}

function key(rel: RelationEntry, values: TupleValue[], what: string): Row {
  const out: Row = {};
  for (const i of rel.keyIndexes) {
    const v = values[i];
    if (v === undefined) {
      throw new UserError(
        `cannot identify the row of an ${what} on ${rel.schema}.${rel.table}: its key column ${rel.columns[i].name} was not sent (unchanged TOASTed value)`,
        `run on the source: ALTER TABLE ${quote(rel.schema)}.${quote(rel.table)} REPLICA IDENTITY FULL; then rerun`,
        'config',
      );
    }
    out[rel.columns[i].name] = v;
  }
  return out;
}

function quote(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
