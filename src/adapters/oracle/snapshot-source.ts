/**
 * Oracle's snapshot-only data export: every table read `AS OF SCN` one SCN taken at the start (flashback
 * query), so all readers see one consistent database without locks; each table is one chunk. Values are
 * converted to PostgreSQL COPY text by value-codec.ts and written like every engine's chunks (temp file,
 * fsync, rename); LOB columns are streamed into the file piece by piece. Unverified against a real server (undo retention, ORA-01555, LOB and LONG columns under
 * flashback): see docs/oracle.md. Live changes are refused before anything starts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { displayName, applyTableLists } from '../../core/table-filter.js';
import { DbError, problemsError, UserError } from '../../infra/errors.js';
import type { ChunkRange, SnapshotHandle, SnapshotReader, SnapshotSource, SourceTable } from '../engine.js';
import { buildSchema, oracleOwner, type OraTable } from './catalog-model.js';
import { CATALOG } from './catalog-queries.js';
import { pgName } from './ddl-text.js';
import { allRows, type OracleQueryRunner } from './query-runner.js';
import { LIVE_CHANGES_REFUSAL } from './refusals.js';
import { withRunner, type RunnerOpener } from './session.js';
import { CURRENT_SCN, snapshotColumn, snapshotQuery, type SnapshotColumn } from './snapshot-select.js';
import { mapOracleType } from './type-map.js';
import { LobCopyEncoder, toCopyText, ValueCodecError } from './value-codec.js';

/** Buffered COPY text is written once it reaches this many UTF-16 code units. */
const FLUSH_AT = 1 << 20;

/** What a chunk carries (stored as JSON in meta.db, so a resumed reader needs nothing else). */
export interface OracleChunk {
  owner: string;
  table: string;
  scn: string;
  columns: SnapshotColumn[];
}

interface OracleSourceTable extends SourceTable {
  readonly oracle: { owner: string; table: string; columns: SnapshotColumn[] };
}

async function listTables(r: OracleQueryRunner, owner: string): Promise<OraTable[]> {
  const binds = { owner };
  const none: never[] = [];
  const schema = buildSchema(owner, '', {
    tables: await allRows(r, CATALOG.tables, binds), columns: await allRows(r, CATALOG.columns, binds), identityColumns: none,
    constraints: await allRows(r, CATALOG.constraints, binds), constraintColumns: await allRows(r, CATALOG.constraintColumns, binds),
    indexes: none, indexColumns: none, sequences: none, views: none, mviews: none, partTables: none, partKeyColumns: none, partitions: none, triggers: none, source: none, synonyms: none,
  });
  const pks = new Map(schema.constraints.filter((c) => c.type === 'P').map((c) => [c.table, c.columns]));
  return schema.tables.map((t) => Object.assign(t, { pk: pks.get(t.name) ?? [] }));
}

export function oracleSnapshotSource(open: RunnerOpener): SnapshotSource {
  return {
    async selectTables(c, sel) {
      if (sel.live) throw new UserError(`--export-type snapshot-and-changes is refused for Oracle: ${LIVE_CHANGES_REFUSAL}`, 'use --export-type snapshot-only (an offline migration)');
      const owner = oracleOwner(sel.schemas);
      const tables = await withRunner(open, c, undefined, (r) => listTables(r, owner));
      const candidates = tables.map((t) => ({ schema: pgName(owner), table: pgName(t.name), t }));
      const { selected, problems } = applyTableLists(candidates, sel.tableList, sel.excludeTableList, `schema ${owner}`, '--source-db-schema');
      const out: OracleSourceTable[] = [];
      for (const { schema, table, t } of selected) {
        const cols = t.columns.filter((col) => !col.virtual).map(snapshotColumn);
        for (const col of cols) if ('unsupported' in col) problems.push(`${displayName({ schema, table })}.${pgName(col.name)} has ${col.unsupported}, whose data cannot be exported: leave the table out with --exclude-table-list ${displayName({ schema, table })}`);
        const columns = cols.filter((x): x is SnapshotColumn => 'kind' in x);
        out.push({
          schema,
          table,
          // Types in the target's dialect (verify data builds typed key ranges from them).
          columns: t.columns.map((col) => ({ name: pgName(col.name), type: mapOracleType(col).pg, generated: col.virtual })),
          pk: ((t as OraTable & { pk: string[] }).pk).map(pgName),
          isPartitioned: false,
          leaves: [{ schema, table }],
          estimatedRows: t.numRows,
          oracle: { owner, table: t.name, columns },
        });
      }
      if (problems.length) throw problemsError('export data from source cannot start', problems);
      return out;
    },

    async begin(c, o) {
      const [row] = await withRunner(open, c, o.log, (r) => allRows(r, CURRENT_SCN));
      const scn = row?.SCN;
      if (!scn || !/^\d+$/.test(scn)) throw new DbError('config', 'could not read the current SCN of the Oracle database', 'GRANT SELECT ON V_$DATABASE TO the migration user (docs/oracle.md)');
      o.log.info('Oracle snapshot: every table is read AS OF SCN', { scn });
      return new OracleSnapshot(open, c, scn);
    },
  };
}

class OracleSnapshot implements SnapshotHandle {
  constructor(
    private readonly open: RunnerOpener,
    private readonly conn: Parameters<RunnerOpener>[0],
    private readonly scn: string,
  ) {}

  async plan(tables: readonly SourceTable[]): Promise<Map<SourceTable, ChunkRange[]>> {
    const out = new Map<SourceTable, ChunkRange[]>();
    for (const t of tables) {
      const o = (t as OracleSourceTable).oracle;
      if (!o) throw new UserError(`table ${displayName(t)} was not listed by the Oracle engine`, 'rerun export data from source');
      const range: OracleChunk = { owner: o.owner, table: o.table, scn: this.scn, columns: o.columns };
      out.set(t, [{ leaf: { schema: t.schema, table: t.table }, range, estimatedBytes: t.estimatedRows * 100 }]);
    }
    return out;
  }

  async openReaders(n: number): Promise<SnapshotReader[]> {
    const readers: SnapshotReader[] = [];
    for (let i = 0; i < n; i++) readers.push(await this.reopenReader());
    return readers;
  }

  async reopenReader(): Promise<SnapshotReader> {
    return new OracleReader(await this.open(this.conn));
  }

  async close(): Promise<void> {}
}

class OracleReader implements SnapshotReader {
  constructor(private readonly runner: OracleQueryRunner) {}

  /**
   * One table → one COPY text file. Plain values are buffered and written a MiB at a time; a LOB value is
   * written piece by piece through the codec as it is read, so memory per row stays at about one LOB piece
   * plus the buffer, whatever the LOB's size. Every LOB of a row is closed after the row, read or not.
   */
  async copy(chunk: ChunkRange, _columns: readonly string[], file: string, onRows: (n: number) => void, signal: AbortSignal): Promise<{ rows: number; bytes: number }> {
    const ch = chunk.range as OracleChunk;
    const tmp = `${file}.tmp`;
    const fh = await fs.promises.open(tmp, 'w', 0o644);
    let rows = 0;
    let reported = 0;
    let bytes = 0;
    let buf = '';
    const flush = async (atLeast: number) => {
      if (buf.length < atLeast) return;
      bytes += (await fh.write(buf)).bytesWritten;
      buf = '';
    };
    const report = () => {
      if (rows > reported) onRows(rows - reported);
      reported = rows;
    };
    const aborted = () => {
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
    };
    try {
      for await (const row of this.runner.lobRows(snapshotQuery(ch.owner, ch.table, ch.columns), { scn: ch.scn })) {
        aborted();
        try {
          for (let i = 0; i < ch.columns.length; i++) {
            const c = ch.columns[i];
            const v = row[c.name] ?? null;
            if (i > 0) buf += '\t';
            if (v === null || typeof v === 'string') {
              buf += toCopyText(c.kind, v);
              continue;
            }
            const enc = new LobCopyEncoder(c.kind === 'binary' ? 'binary' : 'text');
            for await (const piece of v.pieces()) {
              aborted();
              buf += enc.piece(piece);
              await flush(FLUSH_AT);
            }
            buf += enc.end();
          }
          buf += '\n';
        } catch (e) {
          if (!(e instanceof ValueCodecError)) throw e;
          throw new DbError('data', `${ch.owner}.${ch.table} row ${rows + 1}: ${e.message}`, 'fix the value on the source (or leave the table out with --exclude-table-list) and rerun with --start-clean true');
        } finally {
          for (const v of Object.values(row)) if (v !== null && typeof v === 'object') await v.close();
        }
        rows++;
        if (buf.length >= FLUSH_AT) {
          await flush(FLUSH_AT);
          report();
        }
      }
      await flush(1);
      report();
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
    const dir = await fs.promises.open(path.dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return { rows, bytes };
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}
