/**
 * Binlog events (as zongji decodes them) → the sink's transactions and change events. Pure apart from the
 * sink: the stream (change-source.ts) feeds it, tests can feed it recorded events.
 *
 * A transaction starts at a MariaDB GTID event, a MySQL GTID event or a `BEGIN` query, and ends at an XID
 * event or a `COMMIT` query; its commit position is `<current file>:<nextPosition of the commit event>`. The
 * sink is told where the transaction STARTS (the previous commit's end): the stream always resumes exactly at
 * the queue's last durable commit, so a transaction starting at or after it is new (CaptureSink.begin).
 */
import type { Row } from '../../core/change-event.js';
import { DbError } from '../../infra/errors.js';
import type { CaptureSink } from '../engine.js';
import type { DataColumn, DataTable } from './table-catalog.js';
import { binlogValueText, ValueError } from './values.js';

export interface BinlogEventLike {
  getEventName(): string;
  nextPosition: number;
  timestamp?: number;
  /** rotate */
  binlogName?: string;
  position?: number;
  /** query */
  query?: string;
  schema?: string;
  /** mariadbgtid */
  standalone?: boolean;
  /** rows events */
  tableMap?: Record<number, { parentSchema: string; tableName: string }>;
  tableId?: number;
  rows?: unknown[];
}

interface TrackedTable {
  my: DataTable;
  byName: Map<string, DataColumn>;
  key: DataColumn[];
  copied: DataColumn[];
}

const OP = { writerows: 'c', updaterows: 'u', deleterows: 'd' } as const;

export class BinlogTranslator {
  private file: string;
  /** Where the last transaction ended: the next one starts here. */
  private lastEnd: string;
  private inTransaction = false;
  private readonly tracked = new Map<string, TrackedTable>();

  constructor(
    private readonly database: string,
    tables: readonly DataTable[],
    from: { file: string; pos: number },
    private readonly sink: CaptureSink,
  ) {
    this.file = from.file;
    this.lastEnd = `${from.file}:${from.pos}`;
    for (const my of tables) {
      const byName = new Map(my.columns.map((c) => [c.name, c]));
      this.tracked.set(my.name, { my, byName, key: my.pk.map((k) => byName.get(k)!), copied: my.columns.filter((c) => !c.generated) });
    }
  }

  get position(): string {
    return this.lastEnd;
  }

  onEvent(e: BinlogEventLike): void {
    switch (e.getEventName()) {
      case 'rotate':
        this.file = e.binlogName!;
        if (!this.inTransaction && e.position! > 0) this.idle(`${this.file}:${e.position}`);
        return;
      case 'mariadbgtid':
        if (!e.standalone) this.begin();
        return;
      case 'gtid':
      case 'anonymousgtid':
        return; // MySQL: a BEGIN query follows
      case 'xid':
        this.commit(e);
        return;
      case 'query':
        this.onQuery(e);
        return;
      case 'writerows':
      case 'updaterows':
      case 'deleterows':
        this.onRows(e, OP[e.getEventName() as keyof typeof OP]);
        return;
      case 'heartbeat':
        if (!this.inTransaction && e.nextPosition > 0) this.idle(`${e.binlogName ?? this.file}:${e.nextPosition}`);
        return;
      case 'transactionpayload':
      case 'partialupdaterows':
        throw new DbError('config', `the source wrote a ${e.getEventName()} event, which cannot be decoded`, 'SET GLOBAL binlog_transaction_compression = OFF and binlog_row_value_options = \'\' on the source, then export the data again (--start-clean true)');
      default:
        // format, tablemap (zongji keeps the map), checkpoints, GTID lists: nothing for the queue.
        if (!this.inTransaction && e.nextPosition > 0 && e.getEventName() !== 'tablemap') this.idle(`${this.file}:${e.nextPosition}`);
    }
  }

  private begin(): void {
    this.inTransaction = true;
    this.sink.begin(this.lastEnd);
  }

  private commit(e: BinlogEventLike): void {
    const pos = `${this.file}:${e.nextPosition}`;
    if (!this.inTransaction) this.sink.begin(this.lastEnd); // a commit without a seen start: still one transaction
    this.inTransaction = false;
    this.lastEnd = pos;
    this.sink.commit(pos, e.timestamp ? new Date(e.timestamp).toISOString() : undefined);
  }

  private idle(pos: string): void {
    this.lastEnd = pos;
    this.sink.idle(pos);
  }

  private onQuery(e: BinlogEventLike): void {
    const sql = (e.query ?? '').trim();
    if (/^BEGIN\b/i.test(sql)) return this.begin();
    if (/^(COMMIT|XA COMMIT)\b/i.test(sql)) return this.commit(e);
    const affected = this.trackedTablesIn(sql, e.schema ?? '');
    if (/^TRUNCATE\b/i.test(sql)) {
      if (affected.length) this.sink.truncate(affected.map((t) => ({ schema: t.my.schema, table: t.my.table })));
    } else if (affected.length && /^(ALTER|DROP|RENAME|CREATE\s+OR\s+REPLACE)\b/i.test(sql)) {
      throw new DbError(
        'config',
        `the schema of ${affected.map((t) => `${this.database}.${t.my.name}`).join(', ')} changed on the source during the migration (${sql.slice(0, 120)})`,
        'schema changes are not streamed: apply the same change to the target, then export the data again (--start-clean true), or undo it on the source',
      );
    }
    // DDL is a standalone group (no XID): past it, every earlier transaction has been delivered.
    if (!this.inTransaction && e.nextPosition > 0) this.idle(`${this.file}:${e.nextPosition}`);
  }

  /** Tracked tables a statement names (by a word match on their names; DDL on other tables passes). */
  private trackedTablesIn(sql: string, schema: string): TrackedTable[] {
    if (schema && schema !== this.database && !sql.includes(this.database)) return [];
    const words = new Set(sql.replace(/[`"]/g, ' ').split(/[\s,;().]+/).map((w) => w.toLowerCase()));
    return [...this.tracked.values()].filter((t) => words.has(t.my.name.toLowerCase()));
  }

  private onRows(e: BinlogEventLike, op: 'c' | 'u' | 'd'): void {
    const map = e.tableMap?.[e.tableId!];
    if (!map || map.parentSchema !== this.database) return;
    const t = this.tracked.get(map.tableName);
    if (!t) return;
    if (!this.inTransaction) this.begin();
    for (const r of e.rows ?? []) {
      if (op === 'u') {
        const { before, after } = r as { before: Record<string, unknown>; after: Record<string, unknown> };
        this.sink.change({ op, schema: t.my.schema, table: t.my.table, key: this.render(t, t.key, before), after: this.render(t, t.copied, after) });
      } else {
        const row = r as Record<string, unknown>;
        const key = this.render(t, t.key, row);
        this.sink.change(op === 'c' ? { op, schema: t.my.schema, table: t.my.table, key, after: this.render(t, t.copied, row) } : { op, schema: t.my.schema, table: t.my.table, key });
      }
    }
  }

  private render(t: TrackedTable, cols: readonly DataColumn[], row: Record<string, unknown>): Row {
    const out: Row = {};
    const extra = Object.keys(row).find((k) => !t.byName.has(k));
    if (extra !== undefined) {
      throw new DbError('config', `a change of ${this.database}.${t.my.name} has column ${extra}, unknown when the migration started: the table changed on the source`, 'apply the same change to the target, then export the data again (--start-clean true), or undo it on the source');
    }
    for (const c of cols) {
      if (!(c.name in row)) {
        throw new DbError('config', `a change of ${this.database}.${t.my.name} lacks column ${c.name}: the table changed on the source during the migration, or binlog_row_image is not FULL`, 'SET GLOBAL binlog_row_image = FULL; apply schema changes to the target too, then export the data again (--start-clean true)');
      }
      try {
        out[c.pgName] = binlogValueText(c, row[c.name]);
      } catch (err) {
        if (err instanceof ValueError) throw new DbError('data', `a change of ${this.database}.${t.my.name} cannot be carried: ${err.message}`, 'fix the value on the source; the stream stops here and resumes from this transaction when rerun');
        throw err;
      }
    }
    return out;
  }
}

