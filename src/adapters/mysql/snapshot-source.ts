/**
 * MySQL/MariaDB as a snapshot source: every table read by several sessions that all see one state (see
 * snapshot-sessions.ts), one big table split by primary-key ranges, rows written as PostgreSQL COPY text.
 *
 * Unlike PostgreSQL, a lost reader cannot rejoin the snapshot (a MySQL snapshot belongs to its session): the
 * snapshot starts again.
 */
import type { Connection as CoreConnection } from 'mysql2';
import type mysql from 'mysql2/promise';
import type { Conn } from '../../core/connection.js';
import { copyField } from '../../core/copy-text.js';
import { displayName, applyTableLists } from '../../core/table-filter.js';
import { writeDurableFile } from '../../infra/durable-file.js';
import { DbError, problemsError, UserError } from '../../infra/errors.js';
import type { ChunkRange, SnapshotHandle, SnapshotReader, SnapshotSource, SourceTable, TableSelection } from '../engine.js';
import { quoteMyIdent, rows, withConnection } from './connection.js';
import { mapQueryError } from './errors.js';
import { TARGET_SCHEMA } from './names.js';
import { binlogProblems } from './guardrails.js';
import { isSplittableKey, keyRangePredicate, splitKeyRange, type KeyRange } from './key-ranges.js';
import { formatBinlogPosition } from './positions.js';
import { closeSessions, openSnapshotSessions } from './snapshot-sessions.js';
import { listTables, type DataColumn, type DataTable } from './table-catalog.js';
import { snapshotValueText, ValueError } from './values.js';

/** Rows are written to the chunk file in pieces of about this many characters. */
const WRITE_BYTES = 1 << 20;

/** The catalog entry travels with the table: reading needs the MySQL names and types. */
interface MySourceTable extends SourceTable {
  readonly my: DataTable;
}

export function myTableOf(t: SourceTable): DataTable {
  const my = (t as MySourceTable).my;
  if (!my) throw new UserError(`table ${displayName(t)} was not listed by the MySQL engine`, 'rerun export data from source');
  return my;
}

function toSourceTable(t: DataTable): MySourceTable {
  return {
    schema: t.schema,
    table: t.table,
    columns: t.columns.map((c) => ({ name: c.pgName, type: c.columnType, generated: c.generated })),
    pk: t.pk.map((k) => t.columns.find((c) => c.name === k)?.pgName ?? k.toLowerCase()),
    isPartitioned: false,
    leaves: [{ schema: t.schema, table: t.table }],
    estimatedRows: t.estimatedRows,
    my: t,
  };
}

/** Problems of one table for this migration, each with its fix. */
function tableProblems(t: DataTable, live: boolean): string[] {
  const problems: string[] = [];
  const name = `${t.database}.${t.name}`;
  const spatial = t.columns.filter((c) => c.kind === 'unsupported');
  if (spatial.length) problems.push(`table ${name} has spatial column(s) ${spatial.map((c) => c.name).join(', ')}, which this migration cannot carry; exclude it with --exclude-table-list ${t.table}`);
  if (live && !t.pk.length) problems.push(`table ${name} has no primary key, so its changes cannot be applied to the row they belong to: add one (ALTER TABLE … ADD PRIMARY KEY (…)) or exclude it with --exclude-table-list ${t.table}`);
  if (live && t.engine.toLowerCase() !== 'innodb') problems.push(`table ${name} uses the ${t.engine} storage engine, which has no transactions: its snapshot cannot be consistent with the binlog; convert it (ALTER TABLE ${quoteMyIdent(t.name)} ENGINE=InnoDB) or exclude it with --exclude-table-list ${t.table}`);
  return problems;
}

async function selectTables(conn: mysql.Connection, c: Conn, sel: TableSelection): Promise<SourceTable[]> {
  const database = c.settings.database;
  const catalog = await listTables(conn, database);
  const problems = schemaProblems(sel.schemas, database);
  const byPgName = new Map<string, DataTable[]>();
  for (const t of catalog) byPgName.set(t.table, [...(byPgName.get(t.table) ?? []), t]);
  for (const [pg, list] of byPgName) {
    if (list.length > 1) problems.push(`tables ${list.map((t) => t.name).join(' and ')} both become ${pg} on PostgreSQL (names are lower-cased); rename one on the source or exclude it with --exclude-table-list`);
  }
  const { selected, problems: listProblems } = applyTableLists(catalog, sel.tableList, sel.excludeTableList, `database ${database}`, '--source-db-name');
  problems.push(...listProblems);
  for (const t of selected) problems.push(...tableProblems(t, sel.live));
  if (sel.live) problems.push(...(await binlogProblems(conn)));
  if (problems.length) throw problemsError('export data from source cannot start', problems);
  return selected.map(toSourceTable);
}

/**
 * A MySQL connection reaches one database, which the migration calls schema public: --source-db-schema may
 * name it (or public) or be left out; anything else is a mistake worth saying.
 */
function schemaProblems(schemas: readonly string[], database: string): string[] {
  return schemas
    .filter((s) => s !== TARGET_SCHEMA && s.toLowerCase() !== database.toLowerCase())
    .map((s) => `schema ${s} is not this source's: a MySQL/MariaDB source has one schema, the database given with --source-db-name (${database}); leave --source-db-schema out`);
}

class MySnapshot implements SnapshotHandle {
  private handedOut = 0;

  constructor(
    private readonly database: string,
    private readonly sessions: mysql.Connection[],
    private readonly tables: ReadonlyMap<string, DataTable>,
    readonly start: string | undefined,
  ) {}

  /** Big tables with an integer key are split into ranges of about chunkBytes (by the table's data size). */
  async plan(tables: readonly SourceTable[], chunkBytes: number): Promise<Map<SourceTable, ChunkRange[]>> {
    const out = new Map<SourceTable, ChunkRange[]>();
    const planner = this.sessions[0];
    for (const t of tables) {
      const my = myTableOf(t);
      const keyTypes = my.pk.map((k) => my.columns.find((c) => c.name === k)?.dataType ?? '');
      const wanted = Math.ceil(my.dataBytes / Math.max(1, chunkBytes));
      let ranges: KeyRange[] = [{}];
      if (wanted > 1 && isSplittableKey(keyTypes)) {
        const key = quoteMyIdent(my.pk[0]);
        const [b] = await rows<{ lo: string | null; hi: string | null }>(
          planner,
          `SELECT CAST(MIN(${key}) AS CHAR) AS lo, CAST(MAX(${key}) AS CHAR) AS hi FROM ${quoteMyIdent(this.database)}.${quoteMyIdent(my.name)}`,
        ).catch((e) => {
          throw mapQueryError(e, `finding the key range of ${my.name}`);
        });
        if (b.lo !== null && b.hi !== null) ranges = splitKeyRange(my.pk[0], BigInt(b.lo), BigInt(b.hi), wanted);
      }
      out.set(t, ranges.map((range) => ({ leaf: { schema: t.schema, table: t.table }, range, estimatedBytes: Math.ceil(my.dataBytes / ranges.length) })));
    }
    return out;
  }

  async openReaders(n: number): Promise<SnapshotReader[]> {
    if (n > this.sessions.length) throw new DbError('internal', `asked for ${n} snapshot readers, ${this.sessions.length} were opened`);
    this.handedOut = n;
    // Sessions no reader takes end now (they hold a read view, which keeps old row versions alive).
    await closeSessions(this.sessions.splice(n));
    return this.sessions.map((s) => this.reader(s));
  }

  async reopenReader(): Promise<SnapshotReader> {
    throw new UserError(
      'a session reading the source snapshot was lost, and a MySQL/MariaDB snapshot cannot be joined by a new session',
      'rerun export data from source: the snapshot starts again',
      'connect',
    );
  }

  private reader(session: mysql.Connection): SnapshotReader {
    return {
      copy: (chunk, columns, file, onRows, signal) => this.copy(session, chunk, columns, file, onRows, signal),
      close: async () => {
        await session.query('COMMIT').catch(() => undefined);
        await session.end().catch(() => session.destroy());
      },
    };
  }

  private async copy(session: mysql.Connection, chunk: ChunkRange, columns: readonly string[], file: string, onRows: (n: number) => void, signal: AbortSignal): Promise<{ rows: number; bytes: number }> {
    const my = this.tables.get(chunk.leaf.table);
    if (!my) throw new UserError(`table ${displayName(chunk.leaf)} is not part of this snapshot`, 'rerun export data from source with --start-clean true');
    const cols = columns.map((pg) => {
      const c = my.columns.find((x) => x.pgName === pg);
      if (!c) throw new UserError(`column ${pg} of ${my.name} no longer exists on the source`, 'rerun export data from source with --start-clean true');
      return c;
    });
    const where = keyRangePredicate(chunk.range as KeyRange, quoteMyIdent);
    const sql = `SELECT ${cols.map((c) => quoteMyIdent(c.name)).join(', ')} FROM ${quoteMyIdent(this.database)}.${quoteMyIdent(my.name)}${where ? ` WHERE ${where}` : ''}`;
    let count = 0;
    const bytes = await writeDurableFile(file, async (append) => {
      // typeCast false: every value arrives as the server's bytes, rendered once by values.ts.
      const stream = (session as unknown as { connection: CoreConnection }).connection.query({ sql, rowsAsArray: true, typeCast: false } as never).stream({ highWaterMark: 1000 });
      let batch = '';
      let batchRows = 0;
      try {
        for await (const row of stream as AsyncIterable<(Buffer | null)[]>) {
          if (signal.aborted) throw signal.reason ?? new Error('aborted');
          batch += renderRow(cols, row, my);
          batchRows++;
          if (batch.length >= WRITE_BYTES) {
            await append(batch);
            count += batchRows;
            onRows(batchRows);
            batch = '';
            batchRows = 0;
          }
        }
      } catch (e) {
        stream.destroy();
        if (signal.aborted || e instanceof UserError) throw e;
        throw mapQueryError(e, `reading ${my.name}`);
      }
      if (batch) await append(batch);
      count += batchRows;
      if (batchRows) onRows(batchRows);
    });
    return { rows: count, bytes };
  }

  async close(): Promise<void> {
    await closeSessions(this.sessions.splice(this.handedOut));
  }
}

function renderRow(cols: readonly DataColumn[], row: (Buffer | null)[], t: DataTable): string {
  let line = '';
  for (let i = 0; i < cols.length; i++) {
    if (i) line += '\t';
    try {
      line += copyField(snapshotValueText(cols[i], row[i]));
    } catch (e) {
      if (e instanceof ValueError) throw new UserError(`a row of ${t.database}.${t.name} cannot be copied: ${e.message}`, 'fix the value on the source, then rerun export data from source', 'data');
      throw e;
    }
  }
  return line + '\n';
}

export const mysqlSnapshotSource: SnapshotSource = {
  selectTables: (c, sel) => withConnection(c, (conn) => selectTables(conn, c, sel)),
  async begin(c, o) {
    const opened = await openSnapshotSessions(c, Math.max(1, o.maxReaders), { lockTimeoutMs: o.lockTimeoutMs, log: o.log });
    if (o.capture && !opened.position) {
      await closeSessions(opened.sessions);
      throw new UserError('the source has no binary log position, so changes cannot be streamed', 'enable the binary log (log-bin) or use --export-type snapshot-only');
    }
    o.log.info('snapshot sessions opened', { method: opened.method, sessions: opened.sessions.length, position: opened.position && formatBinlogPosition(opened.position) });
    const tables = new Map(o.tables.map((t) => [t.table, myTableOf(t)]));
    return new MySnapshot(c.settings.database, opened.sessions, tables, o.capture && opened.position ? formatBinlogPosition(opened.position) : undefined);
  },
};
