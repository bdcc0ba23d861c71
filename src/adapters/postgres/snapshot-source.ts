/**
 * PostgreSQL as a snapshot source: every table read under ONE snapshot by several sessions.
 *
 *  with capture (snapshot-and-changes): publication, then a logical slot that exports its snapshot; the
 *    slot's consistent point is where the change stream starts (no gap, no overlap).
 *  without (snapshot-only): a snapshot exported by a plain REPEATABLE READ transaction; no slot ever exists.
 *
 * The coordinator session imports the snapshot and holds ACCESS SHARE locks on every table until close(), so
 * no rewrite can move rows between the ctid ranges measured under them.
 */
import type pg from 'pg';
import type { CaptureId, ChunkRange, SnapshotHandle, SnapshotReader, SnapshotSource, SourceTable, TableRef, TableSelection } from '../engine.js';
import type { Conn } from '../../core/connection.js';
import { displayName, filterTables, TablePatternError } from '../../core/table-filter.js';
import { problemsError, UserError } from '../../infra/errors.js';
import { DEFAULTS } from '../../infra/defaults.js';
import { failpoint } from '../../infra/failpoints.js';
import { captureNames } from './change-source.js';
import { connect, quoteIdent, quoteLiteral, withClient } from './connection.js';
import { ctidPredicate, planCtidRanges, type CtidRange } from './ctid-ranges.js';
import { mapQueryError } from './errors.js';
import { tableStreamingProblems } from './guardrails.js';
import { createPublicationIfMissing } from './replication-objects.js';
import { createSlotWithSnapshot, liveMigrationProblems } from './replication-slot.js';
import {
  closeQuietly, copyChunkToFile, copyOutSql, EXACT_TEXT_SETTINGS, exportPlainSnapshot, lockTables, openSnapshotSession,
} from './snapshot-reader.js';
import { blockSize, listTables, relationBlocks, resolveSchemas, type CatalogTable } from './table-catalog.js';

/** The catalog row travels with the table: planning needs the leaves' oids. */
interface PgSourceTable extends SourceTable {
  readonly catalog: CatalogTable;
}

function toSourceTable(t: CatalogTable): PgSourceTable {
  const copied = t.columns.filter((c) => !c.generated);
  return {
    schema: t.schema, table: t.table, columns: t.columns, pk: t.pk, isPartitioned: t.isPartitioned,
    leaves: t.leaves.map((l) => ({ schema: l.schema, table: l.table })), estimatedRows: t.estimatedRows, catalog: t,
    // Binary where every copied value comes back the same from it (snapshot-reader.ts says why it pays).
    ...(DEFAULTS.snapshotBinary && copied.length && copied.every((c) => c.binarySafe) ? { copyFormat: 'binary' as const } : {}),
  };
}

function catalogOf(t: SourceTable): CatalogTable {
  const c = (t as PgSourceTable).catalog;
  if (!c) throw new UserError(`table ${displayName(t)} was not listed by this engine`, 'rerun export data from source');
  return c;
}

async function selectTables(client: pg.Client, sel: TableSelection, user: string): Promise<SourceTable[]> {
  const problems: string[] = [];
  const { found, missing } = await resolveSchemas(client, sel.schemas.length ? sel.schemas : ['public']);
  for (const m of missing) problems.push(`schema ${m} does not exist in the source database (check --source-db-schema)`);
  const catalog = await listTables(client, found);
  let selected: CatalogTable[] = [];
  try {
    const f = filterTables(catalog, sel.tableList, sel.excludeTableList);
    selected = f.selected;
    for (const p of f.unmatchedIncludes) {
      problems.push(`--table-list entry ${p.entry} matches no table in schema(s) ${found.join(', ') || '(none)'} (unquoted names match case-insensitively; "Quoted" ones exactly)`);
    }
  } catch (e) {
    if (e instanceof TablePatternError) problems.push(e.message);
    else throw e;
  }
  if (!problems.length && !selected.length) problems.push(`no table to export in schema(s) ${found.join(', ')} (check --source-db-schema, --table-list and --exclude-table-list)`);
  for (const t of selected) {
    const unreadable = [...(t.canSelect ? [] : [t]), ...t.leaves.filter((l) => !l.canSelect && (l.schema !== t.schema || l.table !== t.table))];
    for (const u of unreadable) problems.push(`no SELECT privilege on ${displayName(u)}: run GRANT SELECT ON ${displayName(u)} TO ${quoteIdent(user)}`);
  }
  if (sel.live && selected.length) {
    problems.push(...(await liveMigrationProblems(client, captureNames(sel.capture).slot, selected)));
    // Tables the change stream could not handle (no key or replica identity, UNLOGGED, views…): refuse before the slot exists.
    problems.push(...(await tableStreamingProblems(client, selected)).problems);
  }
  if (problems.length) {
    throw problemsError('export data from source cannot start', problems);
  }
  return selected.map(toSourceTable);
}

class PgSnapshot implements SnapshotHandle {
  constructor(
    private readonly conn: Conn,
    private readonly coordinator: pg.Client,
    private readonly snapshotName: string,
    /** The idle replication connection that keeps the slot's snapshot importable until the readers hold it. */
    private holder: pg.Client | undefined,
    readonly start: string | undefined,
  ) {}

  async plan(tables: readonly SourceTable[], chunkBytes: number): Promise<Map<SourceTable, ChunkRange[]>> {
    const bs = await blockSize(this.coordinator);
    const blocksPerChunk = Math.max(1, Math.floor(chunkBytes / bs));
    const blocks = await relationBlocks(this.coordinator, tables.flatMap((t) => catalogOf(t).leaves.map((l) => l.oid)));
    const out = new Map<SourceTable, ChunkRange[]>();
    for (const t of tables) {
      const chunks: ChunkRange[] = [];
      for (const leaf of catalogOf(t).leaves) {
        const relBlocks = blocks.get(leaf.oid) ?? 0;
        for (const r of planCtidRanges(relBlocks, blocksPerChunk)) {
          chunks.push({
            leaf: { schema: leaf.schema, table: leaf.table },
            range: r,
            estimatedBytes: ((r.toBlock ?? Math.max(relBlocks, r.fromBlock)) - r.fromBlock) * bs,
          });
        }
      }
      out.set(t, chunks);
    }
    return out;
  }

  async openReaders(n: number): Promise<SnapshotReader[]> {
    const readers: SnapshotReader[] = [];
    for (let i = 0; i < n; i++) readers.push(await this.reader(this.snapshotName));
    // Every reader holds the snapshot now; the replication connection may run its next command (close).
    await this.holder?.end().catch(() => undefined);
    this.holder = undefined;
    return readers;
  }

  /**
   * A reader whose session was lost: the coordinator, still inside the snapshot, exports it again. When the
   * coordinator is gone too (the server restarted), so is the snapshot.
   */
  async reopenReader(): Promise<SnapshotReader> {
    let name: string;
    try {
      name = (await this.coordinator.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0].s;
    } catch (e) {
      throw new UserError(
        `the source's snapshot was lost with its session (${(e as Error).message}); the chunks exported so far cannot be continued under another snapshot`,
        'rerun export data from source: the snapshot starts again (then import data with --start-clean true --truncate-tables true if it had begun)',
        'connect',
      );
    }
    return this.reader(name);
  }

  private async reader(snapshotName: string): Promise<SnapshotReader> {
    const session = await openSnapshotSession(this.conn.settings, this.conn.secret, snapshotName);
    return {
      copy: (chunk, columns, file, onRows, signal, format) => {
        const sql = copyOutSql(chunk.leaf, columns, ctidPredicate(chunk.range as CtidRange), format);
        return copyChunkToFile(session.client, sql, file, onRows, signal);
      },
      close: () => session.close(),
    };
  }

  async close(): Promise<void> {
    await this.holder?.end().catch(() => undefined);
    await closeQuietly(this.coordinator);
  }
}

async function begin(c: Conn, o: { tables: readonly SourceTable[]; capture?: CaptureId; lockTimeoutMs: number }): Promise<SnapshotHandle> {
  const coordinator = await connect(c.settings, c.secret, { applicationName: 'yb-voyager export data', sessionSetup: EXACT_TEXT_SETTINGS });
  let holder: pg.Client | undefined;
  try {
    let snapshotName: string;
    let start: string | undefined;
    if (o.capture) {
      const { slot, publication } = captureNames(o.capture);
      await createPublicationIfMissing(coordinator, publication, o.tables as readonly TableRef[]);
      failpoint('export.after_publication');
      const created = await createSlotWithSnapshot(c.settings, c.secret, slot);
      holder = created.holder;
      snapshotName = created.snapshotName;
      start = created.consistentLsn;
      failpoint('export.after_slot');
      await coordinator.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await coordinator.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotName)}`).catch((e) => {
        throw mapQueryError(e, 'importing the slot snapshot');
      });
    } else {
      snapshotName = await exportPlainSnapshot(coordinator);
    }
    await lockTables(coordinator, o.tables, o.lockTimeoutMs);
    return new PgSnapshot(c, coordinator, snapshotName, holder, start);
  } catch (e) {
    await holder?.end().catch(() => undefined);
    await closeQuietly(coordinator);
    throw e;
  }
}

export const pgSnapshotSource: SnapshotSource = {
  selectTables: (c, sel) => withClient(c, 'yb-voyager export data', (client) => selectTables(client, sel, c.settings.user)),
  begin,
};
