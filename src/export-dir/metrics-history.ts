/**
 * The migration's history in 10-second buckets, kept in meta.db for the migration report: events each exporter
 * committed to the queue (written by the queue writer, queue.ts) and events each importer applied, with the lag
 * of the transactions it committed (written here, by the importer's metrics reporter).
 */
import type { ExporterRole } from '../core/change-event.js';
import type { StateStore } from './state-store.js';

/** Width of a bucket: the metrics tables refresh every ~10 s too. */
export const BUCKET_SECONDS = 10;

/** The bucket (epoch seconds, a multiple of BUCKET_SECONDS) that holds time `ms`. */
export function bucketOf(ms: number): number {
  return Math.floor(ms / 1000 / BUCKET_SECONDS) * BUCKET_SECONDS;
}

export interface ImportBucket {
  bucket: number;
  events: number;
  /**
   * Groups the importer committed in this bucket whose source commit time is known, and the sum and maximum of
   * their lag (commit on the written database − source commit time of the group's last transaction).
   */
  commits: number;
  lagMsSum: number;
  lagMsMax: number;
}

/** Add what an importer applied to its buckets (one transaction for all). */
export function recordImportBuckets(state: StateStore, consumer: string, buckets: readonly ImportBucket[]): void {
  if (!buckets.length) return;
  state.update(() => {
    const upsert = state.db.prepare(
      `INSERT INTO imported_event_buckets (consumer, bucket, events, commits, lag_ms_sum, lag_ms_max) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (consumer, bucket) DO UPDATE SET events = events + excluded.events, commits = commits + excluded.commits,
         lag_ms_sum = lag_ms_sum + excluded.lag_ms_sum, lag_ms_max = MAX(lag_ms_max, excluded.lag_ms_max)`,
    );
    for (const b of buckets) upsert.run(consumer, b.bucket, b.events, b.commits, Math.round(b.lagMsSum), Math.round(b.lagMsMax));
  });
}

export function importBuckets(state: StateStore, consumer: string): ImportBucket[] {
  return state.db
    .prepare(`SELECT bucket, events, commits, lag_ms_sum AS lagMsSum, lag_ms_max AS lagMsMax FROM imported_event_buckets
              WHERE consumer = ? ORDER BY bucket`)
    .all(consumer) as ImportBucket[];
}

export function exportBuckets(state: StateStore, role: ExporterRole): { bucket: number; events: number }[] {
  return state.db
    .prepare('SELECT bucket, events FROM exported_event_buckets WHERE exporter_role = ? ORDER BY bucket')
    .all(role) as { bucket: number; events: number }[];
}

/**
 * Accumulates an importer's buckets in memory between two writes to meta.db (one write every metrics
 * interval, not one per committed group).
 */
export class ImportBucketAccumulator {
  private pending = new Map<number, ImportBucket>();

  /** `events` applied at time `nowMs`; `commitTs` the source commit time of the last transaction committed, if known. */
  add(nowMs: number, events: number, commitTs: string | undefined): void {
    const bucket = bucketOf(nowMs);
    let b = this.pending.get(bucket);
    if (!b) this.pending.set(bucket, (b = { bucket, events: 0, commits: 0, lagMsSum: 0, lagMsMax: 0 }));
    b.events += events;
    const committedAt = commitTs ? Date.parse(commitTs) : NaN;
    if (Number.isFinite(committedAt)) {
      // Clocks of two machines: a source clock ahead of ours must not make a negative lag.
      const lag = Math.max(0, nowMs - committedAt);
      b.commits++;
      b.lagMsSum += lag;
      b.lagMsMax = Math.max(b.lagMsMax, lag);
    }
  }

  /** What was accumulated since the last call. */
  take(): ImportBucket[] {
    const out = [...this.pending.values()];
    this.pending = new Map();
    return out;
  }
}
