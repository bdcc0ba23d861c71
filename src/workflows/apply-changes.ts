/**
 * Applying the change queue to a database, continuously, exactly once: `import data to target` after its
 * snapshot (direction TO_TARGET), and `import data to source` in fall-back (TO_SOURCE), through the engine's
 * change sink.
 *
 * Loop: read ahead (EventPrefetcher) → decide where the group ends (nextGroupStep: on a source commit,
 * up to ~20k events) → compact (compactChunk, in slices) → apply set-based in one target transaction whose last
 * statement moves the watermark, sent behind the groups still awaiting their reply → commit → acknowledge the
 * queue segments. A lost connection reconnects and resumes from the committed watermark (the database says what
 * it holds, not our memory). SIGINT/SIGTERM: commit what is buffered up to the last source commit, roll back a
 * half-applied big transaction, return. A cutover marker: commit everything before it, call the marker handler,
 * move the watermark past it (see MarkerHandler) and stop.
 */
import type { ChangeSink, Endpoint } from '../adapters/engine.js';
import { ChunkCompactor, nextGroupStep, type GroupLimits, type TableChanges } from '../core/apply-batching.js';
import type { ExporterRole, MarkerEvent, QueueEvent } from '../core/change-event.js';
import { ImportProgress, importMetricRows } from '../core/import-metrics.js';
import { ImportBucketAccumulator, recordImportBuckets } from '../export-dir/metrics-history.js';
import type { ExportDir } from '../export-dir/layout.js';
import { assertLocksHeld } from '../export-dir/lock.js';
import { exportedEventTotal } from '../export-dir/queue.js';
import { QueueReader } from '../export-dir/queue-reader.js';
import type { StateStore } from '../export-dir/state-store.js';
import { InternalError, UserError } from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';
import { EventPrefetcher } from './event-prefetch.js';
import type { Output } from './ports.js';
import { DEFAULT_MAX_RECONNECT_SECONDS, Reconnector } from './reconnect.js';
import { DEFAULTS } from '../infra/defaults.js';

/**
 * Called once every event before the marker is committed; the run ends at the marker. `passMarker` commits the
 * watermark past the marker and closes the apply session: after it this run writes nothing more to the
 * database. A handler that completes a cutover calls it before recording COMPLETED (the application may write
 * from then on); otherwise the run calls it after the handler.
 */
export type MarkerHandler = (marker: MarkerEvent, passMarker: () => Promise<void>) => Promise<unknown>;

export interface ApplyChangesDeps {
  /** The database written to. */
  db: Endpoint;
  state: StateStore;
  exportDir: ExportDir;
  log: Logger;
  out: Output;
  /** Cutover hook. Default: say so and stop. */
  onMarker?: MarkerHandler;
  /** --max-reconnect-time in ms (default 5 minutes). */
  maxReconnectMs?: number;
  /** The exporting engine's stream lacks rows changed by foreign-key actions: the sink does them. */
  applyForeignKeyActions?: boolean;
}

/** Who applies what where. */
export interface ApplyDirection {
  /** The database written to, for messages. */
  side: 'target' | 'source';
  /** Consumer name recorded on finished queue segments. */
  consumer: string;
  /** Exporter roles whose events this consumer applies. */
  roles: readonly ExporterRole[];
}

export const TO_TARGET: ApplyDirection = { side: 'target', consumer: 'target_db_importer', roles: ['source_db_exporter'] };
export const TO_SOURCE: ApplyDirection = { side: 'source', consumer: 'source_db_importer', roles: ['target_db_exporter_fb'] };

export interface ApplyOptions {
  limits?: GroupLimits;
  metricsIntervalMs?: number;
}

export interface ApplyResult {
  stoppedBy: 'signal' | 'marker';
  /** Last vsn applied. */
  watermark: number;
  /** Events applied by this run. */
  runEvents: number;
  marker?: MarkerEvent;
}


export async function runChangeApply(deps: ApplyChangesDeps, direction: ApplyDirection, signal: AbortSignal, options: ApplyOptions = {}): Promise<ApplyResult> {
  const limits = options.limits ?? { maxGroupEvents: DEFAULTS.applyGroupEvents, maxGroupMs: DEFAULTS.applyGroupMs, maxChunkEvents: DEFAULTS.applyChunkEvents };
  const { engine, conn } = deps.db;
  const sinks = engine.changeSink;
  if (!sinks) throw new UserError(`applying changes to ${engine.displayName} is not supported`, 'see docs/fall-back.md for the supported databases');
  const uuid = deps.state.migration().uuid;
  const onMarker = deps.onMarker ?? defaultMarkerHandler(deps, direction);
  const metrics = new MetricsReporter(deps, direction, options.metricsIntervalMs ?? DEFAULTS.metricsIntervalMs);
  const reconnect = new Reconnector({
    side: direction.side, db: deps.db, state: deps.state, commandId: `import-data-to-${direction.side}`, out: deps.out, log: deps.log, signal,
    windowMs: deps.maxReconnectMs ?? DEFAULT_MAX_RECONNECT_SECONDS * 1000,
  });
  let lastWatermark = 0;
  try {
    // Each session resumes from the committed watermark: the database says what it holds, not our memory.
    return await reconnect.run(async () => {
      const applier = await sinks.open(conn, { migrationUuid: uuid, side: direction.side, log: deps.log, applyForeignKeyActions: deps.applyForeignKeyActions });
      try {
        reconnect.healthy();
        lastWatermark = applier.applied.watermark;
        metrics.start(totalOf(applier.applied.totals));
        deps.log.info('applying changes', { side: direction.side, consumer: direction.consumer, fromVsn: lastWatermark });
        const result = await applyLoop(applier, deps, direction, limits, onMarker, signal, (commitTs) => {
          reconnect.healthy();
          lastWatermark = applier.applied.watermark;
          metrics.imported(totalOf(applier.applied.totals), commitTs);
        });
        return { ...result, runEvents: metrics.runEvents };
      } finally {
        await applier.close();
      }
    }, () => ({ stoppedBy: 'signal', watermark: lastWatermark, runEvents: metrics.runEvents }));
  } finally {
    metrics.stop();
  }
}

function totalOf(c: { c: number; u: number; d: number }): number {
  return c.c + c.u + c.d;
}

async function applyLoop(
  applier: ChangeSink,
  deps: ApplyChangesDeps,
  direction: ApplyDirection,
  limits: GroupLimits,
  onMarker: MarkerHandler,
  signal: AbortSignal,
  /** A group committed; `commitTs` is the source commit time of its last transaction, when known. */
  committed: (commitTs?: string) => void,
): Promise<Omit<ApplyResult, 'runEvents'>> {
  // 256 KiB reads: each is parsed in one go, a short pause for the group being applied meanwhile. A short
  // poll when caught up: it is one SQLite read, and it is most of the lag under a steady load.
  const reader = new QueueReader(deps.exportDir, deps.state, {
    consumer: direction.consumer, roles: direction.roles, afterVsn: applier.applied.watermark, readChunkBytes: 256 << 10, pollMs: 10,
  });
  // Read ahead about two groups (or one chunk of a big transaction) of text.
  const prefetch = new EventPrefetcher(reader, signal, READ_AHEAD_CHARS_PER_EVENT * Math.max(limits.maxChunkEvents, 2 * limits.maxGroupEvents));
  let pending: QueueEvent[] = [];
  let groupEvents = 0;
  let groupStartedAt = 0;
  let waitingInTransactionSince = 0;
  let locksCheckedAt = 0;
  // The database applies one group while we compact the next: `inflight` holds the groups being applied, oldest
  // first. A group sent ahead (sendGroup) goes while there is room (roomAhead) for it behind those awaiting their
  // reply; anything else starts only once all have settled. A failure surfaces here before anything else runs.
  const inflight: { applied: Promise<void>; done: boolean; events: number }[] = [];
  /** Another group may be sent ahead now: few enough in flight (see GROUPS_IN_FLIGHT). */
  const roomAhead = (events: number) => {
    if (inflight.length < GROUPS_IN_FLIGHT) return true;
    if (inflight.length >= SMALL_GROUPS_IN_FLIGHT) return false;
    let unanswered = events;
    for (const g of inflight) unanswered += g.events;
    return unanswered <= SMALL_GROUPS_EVENTS;
  };
  const settle = async () => {
    while (inflight.length) await inflight.shift()!.applied;
  };
  /** The oldest groups that have settled: their failure surfaces now; the rest go on meanwhile. */
  const settleDone = async () => {
    while (inflight[0]?.done) await inflight.shift()!.applied;
  };
  /** After a group's commit: segments are let go (archived, deleted) only once what was applied from them is durable. */
  const afterCommit = async (watermark: number, commitTs: string | undefined) => {
    if (reader.canAcknowledge(watermark)) await applier.makeDurable?.();
    reader.acknowledge(watermark);
    committed(commitTs);
  };
  try {
    for (;;) {
      if (prefetch.error) throw prefetch.error;
      if (pending.length && !groupStartedAt) groupStartedAt = Date.now();
      // Input is "idle" when nothing more is buffered: the group commits at the last complete source
      // transaction instead of waiting, so latency stays low; under a backlog groups fill up to their limit.
      const step = nextGroupStep(pending, groupEvents, Date.now() - groupStartedAt, !prefetch.buffered, limits);
      if (step.kind === 'wait' && prefetch.buffered) {
        // Parse only as much as the group needs: events parsed long before they are applied survive garbage
        // collections, and each one copies them.
        const want = Math.min(limits.maxChunkEvents, limits.maxGroupEvents - groupEvents) - pending.length;
        const more = await prefetch.take(Math.max(1, want));
        pending = pending.length ? pending.concat(more) : more;
        continue;
      }

      if (step.kind === 'wait') {
        // Groups sent ahead are answered while more input is awaited: the next group need not wait for them.
        await settleDone();
        if (prefetch.finished) {
          await settle();
          if (prefetch.error) throw prefetch.error;
          // Stopped (signal): what is half-applied of a big source transaction goes back; it is re-read next time.
          await applier.rollback();
          return { stoppedBy: 'signal', watermark: applier.applied.watermark };
        }
        if (applier.openTransaction) {
          waitingInTransactionSince ||= Date.now();
          if (Date.now() - waitingInTransactionSince > 30_000) {
            deps.log.warn('waiting for the rest of a large source transaction; the target transaction stays open meanwhile', { groupEvents });
            waitingInTransactionSince = Date.now();
          }
        }
        await prefetch.waitForData(1000);
        // A process whose migration is gone stops instead of polling forever. Once a second: a caught-up
        // importer at a high source rate waits here ~100 times a second, each check a read of the lock file.
        if (Date.now() - locksCheckedAt >= 1000) {
          assertLocksHeld();
          locksCheckedAt = Date.now();
        }
        // A session that died while idle: reconnect now, so an outage at a quiet time is seen (and reported) now.
        if (applier.sessionLost !== undefined) throw applier.sessionLost;
        continue;
      }
      waitingInTransactionSince = 0;

      if (step.kind === 'marker') {
        await settle();
        const marker = pending[step.at];
        if (step.at > 0 || applier.openTransaction) {
          throw new InternalError(`cutover marker (vsn ${marker.vsn}) arrived inside a source transaction; the queue is not in commit order`);
        }
        pending = pending.slice(1);
        deps.log.info('cutover marker reached: every change before it is applied', { vsn: marker.vsn, op: marker.op });
        // The handler runs before the watermark passes the marker: a run that dies before passMarker() meets the
        // marker again; one that dies after it is resumed by the handler's owner (fall-back.ts).
        let passed = false;
        await applier.makeDurable?.(); // the handler relies on every change before the marker being here for good
        const passMarker = async () => {
          if (passed) return;
          await applier.commit(marker.vsn);
          await applier.makeDurable?.();
          reader.acknowledge(marker.vsn);
          committed();
          await applier.close();
          passed = true;
        };
        await onMarker(marker as MarkerEvent, passMarker);
        await passMarker();
        return { stoppedBy: 'marker', watermark: marker.vsn, marker: marker as MarkerEvent };
      }

      const events = pending.length === step.take ? pending : pending.slice(0, step.take);
      pending = pending.length === step.take ? [] : pending.slice(step.take);
      const changes = await compactYielding(events);
      groupEvents += events.length;
      const last = events[events.length - 1];
      const watermark = step.kind === 'commit' ? last.vsn : undefined;
      const commitTs = last.op === 'commit' ? last.ts : undefined;
      if (watermark !== undefined) {
        groupEvents = 0;
        groupStartedAt = 0;
      }
      let applied: Promise<void>;
      if (watermark !== undefined && changes.length && applier.sendGroup && !applier.openTransaction) {
        // One round trip, sent without waiting for the reply to the group before (its commit comes first).
        while (!roomAhead(events.length)) await inflight.shift()!.applied;
        const { committed: sent } = await applier.sendGroup(changes, watermark);
        const before = inflight.at(-1)?.applied;
        applied = (async () => {
          await before;
          await sent;
          await afterCommit(watermark, commitTs);
        })();
      } else {
        await settle();
        applied = (async () => {
          if (changes.length) await applier.applyChunk(changes);
          if (watermark !== undefined) {
            await applier.commit(watermark);
            await afterCommit(watermark, commitTs);
          }
        })();
      }
      const entry = { applied, done: false, events: events.length };
      // Handled when settled; this only keeps an early failure from being reported as unhandled meanwhile.
      applied.then(() => (entry.done = true), () => (entry.done = true));
      inflight.push(entry);
    }
  } finally {
    // Never leave a statement running behind us (the caller closes the session next).
    for (const { applied } of inflight) await applied.catch(() => undefined);
    prefetch.stop();
    await prefetch.done;
  }
}

/**
 * compactChunk() in slices, yielding to the event loop between them: the group before is being applied
 * meanwhile, and each of its statements is sent as soon as the previous one completes, instead of after a
 * long synchronous compaction (the database would sit idle for that long).
 */
async function compactYielding(events: readonly QueueEvent[]): Promise<TableChanges[]> {
  const c = new ChunkCompactor();
  for (let i = 0; i < events.length; i++) {
    c.add(events[i]);
    if ((i & (COMPACT_SLICE - 1)) === COMPACT_SLICE - 1) await new Promise<void>((r) => setImmediate(r));
  }
  return c.result();
}

const COMPACT_SLICE = 2048;

/**
 * Groups sent and not yet answered, at most: two, so the next group goes while the database applies one and does
 * not wait a round trip behind it. Small groups (a caught-up stream: a group per queue commit, every few ms) may be
 * up to SMALL_GROUPS_IN_FLIGHT while their events together stay under SMALL_GROUPS_EVENTS: against a target a
 * round trip away, each goes out at once instead of waiting for a slot. Large groups (a backlog) stay at two: each
 * holds its compacted rows until answered, and the database is the bottleneck there anyway.
 */
const GROUPS_IN_FLIGHT = 2;
const SMALL_GROUPS_IN_FLIGHT = 8;
const SMALL_GROUPS_EVENTS = 2_000;

/** Read-ahead bound, in characters of queue text per event the limits allow (queue lines are ~100-250). */
const READ_AHEAD_CHARS_PER_EVENT = 256;

function defaultMarkerHandler(deps: ApplyChangesDeps, direction: ApplyDirection): MarkerHandler {
  return async (marker) => {
    deps.out.line(`cutover marker reached (vsn ${marker.vsn}): every change before it is applied to the ${direction.side} database`);
    return 'stop';
  };
}

/** The spec's metrics table every ~10 s (redrawn in place on a terminal), and the same numbers in the log. */
class MetricsReporter {
  private progress: ImportProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private importedAtStart = 0;
  private importedNow = 0;
  private readonly history = new ImportBucketAccumulator();

  constructor(
    private readonly deps: ApplyChangesDeps,
    private readonly direction: ApplyDirection,
    private readonly intervalMs: number,
  ) {}

  get started(): boolean {
    return this.progress !== undefined;
  }

  get runEvents(): number {
    return this.importedNow - this.importedAtStart;
  }

  start(importedTotal: number): void {
    if (this.progress) {
      // A reconnect: the database's totals are the truth (a commit whose reply was lost may have happened).
      this.imported(importedTotal);
      return;
    }
    this.importedAtStart = this.importedNow = importedTotal;
    this.progress = new ImportProgress(Date.now(), importedTotal, this.exportedTotal());
    this.render();
    this.timer = setInterval(() => this.render(), this.intervalMs);
    this.timer.unref();
  }

  imported(importedTotal: number, commitTs?: string): void {
    const now = Date.now();
    // A reconnect's totals may be below what a lost reply made us believe: only progress goes in the history.
    this.history.add(now, Math.max(0, importedTotal - this.importedNow), commitTs);
    this.importedNow = importedTotal;
    this.progress?.recordImported(now, importedTotal);
  }

  /** The buckets of the migration report (meta.db), once per metrics interval. */
  private saveHistory(): void {
    try {
      recordImportBuckets(this.deps.state, this.direction.consumer, this.history.take());
    } catch (e) {
      this.deps.log.warn('could not record the import history for the migration report', { err: e });
    }
  }

  private exportedTotal(): number {
    return exportedEventTotal(this.deps.state, this.direction.roles);
  }

  private render(): void {
    if (!this.progress) return;
    const now = Date.now();
    try {
      this.progress.recordExported(now, this.exportedTotal());
    } catch (e) {
      this.deps.log.warn('could not read the exported event total', { err: e });
    }
    this.progress.recordImported(now, this.importedNow);
    this.saveHistory();
    const m = this.progress.metrics(now);
    this.deps.out.metrics('import', importMetricRows(m));
    this.deps.log.info('change import metrics', { ...m, etaSeconds: m.etaSeconds === Infinity ? 'never' : m.etaSeconds });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.render();
  }
}
