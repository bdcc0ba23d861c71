/**
 * verify data: prove the two databases hold the same rows, instead of counting them.
 *
 * Per table, the rows are cut into key ranges (split keys read once from one side); both sides compute a
 * digest of each range in the server (count + order-independent sums of row hashes over one canonical row
 * text), so a range costs one scan per side and ships a few bytes. Equal digests are done. An unequal range is
 * drilled down to (key, row hash) pairs, then to the rows that differ, which are reported with their key:
 * missing on the target, extra on the target, or different values (and which columns).
 *
 * While changes stream, a difference may be a change on its way. Differing rows are read again: first on the
 * side the application writes, then — once the importer has applied everything up to the position current
 * after that read — on the other side. Only rows that still differ after that (or when --recheck-time runs
 * out) are reported. After a cutover's drain nothing moves, and the first answer is exact.
 */
import type { Endpoint, KeyRange, KeyValues, VerifySession, VerifyTable } from '../adapters/engine.js';
import type { ExporterRole } from '../core/change-event.js';
import { statusOf } from '../core/cutover.js';
import { displayName, filterTables, TablePatternError } from '../core/table-filter.js';
import { tableKey } from '../core/change-event.js';
import { readCutover } from '../export-dir/migration-state.js';
import { exporterPosition, QueueWriter } from '../export-dir/queue.js';
import { readExportData } from '../export-dir/snapshot-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { recordVerifyRun, type VerifyRun } from '../export-dir/verify-runs.js';
import { DEFAULTS } from '../infra/defaults.js';
import { UserError } from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';
import { runPool } from '../infra/pool.js';
import { sleep } from '../infra/shutdown.js';
import type { TableProgress } from './table-progress.js';

export interface VerifyDeps {
  source: Endpoint;
  target: Endpoint;
  state: StateStore;
  log: Logger;
  progress: TableProgress;
  say: (line: string) => void;
}

export interface VerifyOptions {
  tableList?: readonly string[];
  excludeTableList?: readonly string[];
  parallelJobs: number;
  /** Rows per key range (default DEFAULTS.verifyChunkRows). */
  chunkRows?: number;
  /** How long differing rows are re-checked while changes stream (ms). */
  recheckMs: number;
  /** Differences listed per table (the count is always complete). */
  maxListed?: number;
}

export type DifferenceKind = 'missing-on-target' | 'extra-on-target' | 'different';

export interface Difference {
  kind: DifferenceKind;
  /** Key column → value; for a keyless table, the row's hash. */
  key: Record<string, string>;
  /** Columns whose values differ (kind 'different'). */
  columns?: string[];
}

export interface TableVerdict {
  schema: string;
  table: string;
  sourceRows: number;
  targetRows: number;
  chunks: number;
  verdict: 'identical' | 'different';
  differenceCount: number;
  differences: Difference[];
}

export interface VerifyResult {
  identical: boolean;
  /** Changes were streaming while it ran (differences were re-checked). */
  live: boolean;
  startedAt: string;
  finishedAt: string;
  tables: TableVerdict[];
}

const DEFAULT_MAX_LISTED = 100;

/** Which way changes flow now, if any: the side the application writes and the exporter role reading it. */
function streamingDirection(state: StateStore): { writes: 'source' | 'target'; role: ExporterRole } | undefined {
  if (readExportData(state)?.exportType !== 'snapshot-and-changes') return undefined;
  const c = readCutover(state);
  if (statusOf(c, 'toTarget') !== 'COMPLETED') return { writes: 'source', role: 'source_db_exporter' };
  if (c.prepareForFallBack && statusOf(c, 'toSource') !== 'COMPLETED') return { writes: 'target', role: 'target_db_exporter_fb' };
  return undefined;
}

export async function verifyData(deps: VerifyDeps, opts: VerifyOptions, signal: AbortSignal): Promise<VerifyResult> {
  const startedAt = new Date().toISOString();
  for (const side of [deps.source, deps.target]) {
    if (!side.engine.verifier) throw new UserError(`verify data does not support ${side.engine.displayName} yet`, 'see docs/verify-data.md for the supported databases');
  }
  const tables = selectTables(deps.state, opts);
  const live = streamingDirection(deps.state);
  if (live) deps.say(`changes are streaming (the application writes to the ${live.writes}): differing rows are re-checked once the importer has applied past them`);

  const jobs = Math.max(1, opts.parallelJobs);
  const pairs: { src: VerifySession; tgt: VerifySession }[] = [];
  const verdicts = new Map<string, TableVerdict>();
  const candidates = new Map<string, Map<string, DifferenceKind>>();
  try {
    for (let i = 0; i < jobs; i++) {
      pairs.push({ src: await deps.source.engine.verifier!.open(deps.source.conn), tgt: await deps.target.engine.verifier!.open(deps.target.conn) });
    }
    const algorithm = pairs[0].src.digests.find((d) => pairs[0].tgt.digests.includes(d));
    if (!algorithm) throw new UserError(`${deps.source.engine.displayName} and ${deps.target.engine.displayName} share no digest algorithm`, 'this is a bug in yb-voyager: every engine computes md5-sum60', 'internal');
    deps.log.info('verify data', { algorithm, tables: tables.length, jobs });
    // Key ranges of every table, cut on the source's keys (one pass over each key).
    const work: { t: VerifyTable; range: KeyRange }[] = [];
    for (const t of tables) {
      const splits = await pairs[0].src.splitKeys(t, opts.chunkRows ?? DEFAULTS.verifyChunkRows);
      const ranges: KeyRange[] = t.key.length ? [...splits.map((upTo, i) => ({ after: splits[i - 1], upTo })), { after: splits[splits.length - 1] }] : [{}];
      verdicts.set(tableKey(t.schema, t.table), { schema: t.schema, table: t.table, sourceRows: 0, targetRows: 0, chunks: ranges.length, verdict: 'identical', differenceCount: 0, differences: [] });
      for (const range of ranges) work.push({ t, range });
    }
    deps.progress.begin(tables.map((t) => ({ key: tableKey(t.schema, t.table), label: displayName(t), total: t.estimatedRows })));
    const pending = work.slice();
    const left = new Map<string, number>();
    for (const w of work) left.set(tableKey(w.t.schema, w.t.table), (left.get(tableKey(w.t.schema, w.t.table)) ?? 0) + 1);
    await runPool(pairs, () => pending.shift(), async (pair, { t, range }) => {
      const k = tableKey(t.schema, t.table);
      const v = verdicts.get(k)!;
      const [a, b] = await Promise.all([pair.src.chunkDigest(t, range, algorithm), pair.tgt.chunkDigest(t, range, algorithm)]);
      v.sourceRows += a.rows;
      v.targetRows += b.rows;
      if (a.digest !== b.digest) {
        for (const [key, kind] of await drillDown(pair, t, range)) {
          if (!candidates.has(k)) candidates.set(k, new Map());
          candidates.get(k)!.set(key, kind);
        }
      }
      deps.progress.advance(k, a.rows);
      const n = left.get(k)! - 1;
      left.set(k, n);
      if (n === 0) deps.progress.finish(k, v.sourceRows);
    }, signal);
    deps.progress.end();
    if (signal.aborted) throw new UserError('verify data was interrupted', 'rerun it', 'interrupted');

    for (const t of tables) {
      const k = tableKey(t.schema, t.table);
      let diffs = candidates.get(k);
      if (!diffs?.size) continue;
      if (live) diffs = await recheck(deps, pairs[0], t, diffs, live, opts.recheckMs, signal);
      const v = verdicts.get(k)!;
      v.differenceCount = diffs.size;
      if (!diffs.size) continue;
      v.verdict = 'different';
      v.differences = await describe(pairs[0], t, diffs, opts.maxListed ?? DEFAULT_MAX_LISTED);
    }
  } finally {
    for (const p of pairs) await Promise.all([p.src.close(), p.tgt.close()]);
  }
  const all = [...verdicts.values()];
  const result: VerifyResult = { identical: all.every((v) => v.verdict === 'identical'), live: Boolean(live), startedAt, finishedAt: new Date().toISOString(), tables: all };
  recordVerifyRun(deps.state, {
    startedAt, finishedAt: result.finishedAt, identical: result.identical, live: result.live, phase: cutoverPhase(deps.state),
    tables: all.map(({ schema, table, verdict, sourceRows, targetRows, differenceCount }) => ({ schema, table, verdict, sourceRows, targetRows, differenceCount })),
  });
  return result;
}

function cutoverPhase(state: StateStore): VerifyRun['phase'] {
  const c = readCutover(state);
  if (statusOf(c, 'toSource') === 'COMPLETED') return 'after cutover to source';
  return statusOf(c, 'toTarget') === 'COMPLETED' ? 'after cutover to target' : 'before cutover';
}

/** The migrated tables (as export data recorded them), filtered by --table-list / --exclude-table-list. */
function selectTables(state: StateStore, opts: VerifyOptions): (VerifyTable & { estimatedRows: number })[] {
  const rec = readExportData(state);
  if (!rec) throw new UserError('nothing was exported in this export dir yet', 'run yb-voyager export data from source first', 'config');
  let chosen;
  try {
    const f = filterTables(rec.tables, opts.tableList, opts.excludeTableList);
    if (f.unmatchedIncludes.length) {
      throw new UserError(`--table-list entr${f.unmatchedIncludes.length > 1 ? 'ies' : 'y'} ${f.unmatchedIncludes.map((p) => p.entry).join(', ')} match no migrated table`, 'name tables that export data exported');
    }
    chosen = f.selected;
  } catch (e) {
    if (e instanceof TablePatternError) throw new UserError(e.message, 'quote names with double quotes: "Schema"."Table"');
    throw e;
  }
  return chosen.map((t) => ({
    schema: t.schema,
    table: t.table,
    columns: t.columns,
    key: t.pk,
    keyTypes: t.pk.map((k) => t.columnTypes[t.columns.indexOf(k)] ?? 'text'),
    estimatedRows: t.estimatedRows,
  }));
}

const keyId = (key: KeyValues) => JSON.stringify(key);

/** The keys that differ in one range, with how. */
async function drillDown(pair: { src: VerifySession; tgt: VerifySession }, t: VerifyTable, range: KeyRange): Promise<Map<string, DifferenceKind>> {
  const [a, b] = await Promise.all([pair.src.rowHashes(t, range), pair.tgt.rowHashes(t, range)]);
  const out = new Map<string, DifferenceKind>();
  if (!t.key.length) {
    // Multisets of row hashes: what one side has more of.
    const count = new Map<string, number>();
    for (const r of a) count.set(r.hash, (count.get(r.hash) ?? 0) + 1);
    for (const r of b) count.set(r.hash, (count.get(r.hash) ?? 0) - 1);
    let i = 0;
    for (const [h, n] of count) for (let j = 0; j < Math.abs(n); j++) out.set(keyId([h, String(i++)]), n > 0 ? 'missing-on-target' : 'extra-on-target');
    return out;
  }
  const theirs = new Map(b.map((r) => [keyId(r.key), r.hash]));
  for (const r of a) {
    const id = keyId(r.key);
    const other = theirs.get(id);
    if (other === undefined) out.set(id, 'missing-on-target');
    else if (other !== r.hash) out.set(id, 'different');
    theirs.delete(id);
  }
  for (const id of theirs.keys()) out.set(id, 'extra-on-target');
  return out;
}

/**
 * While changes stream: read the differing rows where the application writes, note that side's position,
 * wait until the importer has applied past it, read them on the other side; keep what still differs. A few
 * rounds (a hot row may have changed again meanwhile) within the time allowed.
 */
async function recheck(
  deps: VerifyDeps,
  pair: { src: VerifySession; tgt: VerifySession },
  t: VerifyTable,
  diffs: Map<string, DifferenceKind>,
  live: { writes: 'source' | 'target'; role: ExporterRole },
  recheckMs: number,
  signal: AbortSignal,
): Promise<Map<string, DifferenceKind>> {
  if (!t.key.length) return diffs; // a keyless row has no identity to follow
  const deadline = Date.now() + recheckMs;
  const from = live.writes === 'source' ? { db: deps.source, s: pair.src } : { db: deps.target, s: pair.tgt };
  const to = live.writes === 'source' ? { db: deps.target, s: pair.tgt } : { db: deps.source, s: pair.src };
  let left = diffs;
  for (let round = 1; round <= 5 && left.size && Date.now() < deadline && !signal.aborted; round++) {
    const keys = [...left.keys()].map((id) => JSON.parse(id) as string[]);
    const written = await from.s.rows(t, keys);
    const position = await from.db.engine.changeSource!.currentPosition(from.db.conn, deps.log);
    if (!(await appliedPast(deps, from.db, to.db, live.role, position, deadline, signal))) break;
    const applied = await to.s.rows(t, keys);
    const still = new Map<string, DifferenceKind>();
    for (const id of left.keys()) {
      const a = written.get(id);
      const b = applied.get(id);
      if (a === undefined && b === undefined) continue;
      if (a && b && JSON.stringify(a) === JSON.stringify(b)) continue;
      const kind: DifferenceKind = !b ? (live.writes === 'source' ? 'missing-on-target' : 'extra-on-target') : !a ? (live.writes === 'source' ? 'extra-on-target' : 'missing-on-target') : 'different';
      still.set(id, kind);
    }
    deps.log.info('re-checked differing rows', { table: displayName(t), round, before: left.size, after: still.size });
    left = still;
  }
  return left;
}

/** Wait until the importer has applied every change up to `position` of the writing side. False on timeout. */
async function appliedPast(deps: VerifyDeps, from: Endpoint, to: Endpoint, role: ExporterRole, position: string, deadline: number, signal: AbortSignal): Promise<boolean> {
  const uuid = deps.state.migration().uuid;
  let queuedUpTo: number | undefined;
  while (Date.now() < deadline && !signal.aborted) {
    if (queuedUpTo === undefined) {
      const exported = exporterPosition(deps.state, role);
      // Every event up to `position` is in the queue now, at or below the last vsn.
      if (exported !== undefined && from.engine.positions.compare(exported, position) >= 0) queuedUpTo = QueueWriter.lastVsn(deps.state);
    }
    if (queuedUpTo !== undefined && ((await to.engine.changeSink!.appliedWatermark(to.conn, uuid)) ?? 0) >= queuedUpTo) return true;
    await sleep(100, signal);
  }
  return false;
}

/** The differences to list: keys as column → value, and for changed rows the columns that differ. */
async function describe(pair: { src: VerifySession; tgt: VerifySession }, t: VerifyTable, diffs: Map<string, DifferenceKind>, max: number): Promise<Difference[]> {
  const listed = [...diffs].slice(0, max);
  if (!t.key.length) return listed.map(([id, kind]) => ({ kind, key: { row_hash: (JSON.parse(id) as string[])[0] } }));
  const changed = listed.filter(([, kind]) => kind === 'different').map(([id]) => JSON.parse(id) as string[]);
  const [a, b] = changed.length ? await Promise.all([pair.src.rows(t, changed), pair.tgt.rows(t, changed)]) : [new Map(), new Map()];
  return listed.map(([id, kind]) => {
    const key = Object.fromEntries(t.key.map((k, i) => [k, (JSON.parse(id) as string[])[i]]));
    if (kind !== 'different') return { kind, key };
    const x = a.get(id) ?? [];
    const y = b.get(id) ?? [];
    return { kind, key, columns: t.columns.filter((_, i) => x[i] !== y[i]) };
  });
}
