/**
 * The time series of one direction of the migration (source → target, or the fall-back), from the 10-second
 * buckets meta.db keeps: events the exporter committed to the queue, events the importer applied with the lag
 * of what it committed, and the queue backlog those two leave (events exported and not yet applied).
 * Pure: buckets in, points out.
 */

export interface ExportedBucket {
  /** Epoch seconds of the bucket's start. */
  bucket: number;
  events: number;
}

export interface ImportedBucket {
  bucket: number;
  events: number;
  commits: number;
  lagMsSum: number;
  lagMsMax: number;
}

export interface HistoryPoint {
  /** Epoch seconds of the start of the interval this point covers. */
  t: number;
  /** Length of that interval in seconds. */
  seconds: number;
  exported: number;
  imported: number;
  /** Mean and maximum lag of the transactions committed in the interval; absent when none was. */
  lagMsAvg?: number;
  lagMsMax?: number;
  /** Events exported and not yet applied at the end of the interval. */
  backlog: number;
}

/**
 * One point per bucket that saw anything, in time order, with the backlog carried through. The backlog counts
 * from the first bucket on record: events exported before the history began are not in it.
 */
export function directionHistory(exported: readonly ExportedBucket[], imported: readonly ImportedBucket[], bucketSeconds: number): HistoryPoint[] {
  const byBucket = new Map<number, HistoryPoint>();
  const point = (t: number): HistoryPoint => {
    let p = byBucket.get(t);
    if (!p) byBucket.set(t, (p = { t, seconds: bucketSeconds, exported: 0, imported: 0, backlog: 0 }));
    return p;
  };
  for (const b of exported) point(b.bucket).exported += b.events;
  const lag = new Map<number, { commits: number; sum: number; max: number }>();
  for (const b of imported) {
    point(b.bucket).imported += b.events;
    if (b.commits > 0) {
      const l = lag.get(b.bucket) ?? { commits: 0, sum: 0, max: 0 };
      lag.set(b.bucket, { commits: l.commits + b.commits, sum: l.sum + b.lagMsSum, max: Math.max(l.max, b.lagMsMax) });
    }
  }
  const points = [...byBucket.values()].sort((a, b) => a.t - b.t);
  let backlog = 0;
  for (const p of points) {
    backlog = Math.max(0, backlog + p.exported - p.imported);
    p.backlog = backlog;
    const l = lag.get(p.t);
    if (l) {
      p.lagMsAvg = Math.round(l.sum / l.commits);
      p.lagMsMax = l.max;
    }
  }
  return points;
}

/**
 * At most `maxPoints` evenly spaced points covering the same time, for a chart: quiet buckets become zeros (a
 * gap in the data is a gap in the work, not a missing sample), neighbouring buckets merge (events add up, the
 * lag keeps its maximum and its commit-weighted mean, the backlog its last value). With `until` (epoch seconds,
 * e.g. the cutover that ended the direction), the points go on as quiet buckets until the one holding it.
 */
export function chartPoints(points: readonly HistoryPoint[], bucketSeconds: number, maxPoints: number, until?: number): HistoryPoint[] {
  if (!points.length) return [];
  const first = points[0]!.t;
  const lastBucket = until === undefined ? first : Math.floor(until / bucketSeconds) * bucketSeconds;
  const last = Math.max(points[points.length - 1]!.t, lastBucket);
  const buckets = Math.floor((last - first) / bucketSeconds) + 1;
  const per = Math.max(1, Math.ceil(buckets / Math.max(1, maxPoints)));
  const width = per * bucketSeconds;
  const out: HistoryPoint[] = [];
  let i = 0;
  let backlog = 0;
  for (let t = first; t <= last; t += width) {
    const p: HistoryPoint = { t, seconds: width, exported: 0, imported: 0, backlog };
    let lagWeight = 0;
    let lagSum = 0;
    while (i < points.length && points[i]!.t < t + width) {
      const q = points[i++]!;
      p.exported += q.exported;
      p.imported += q.imported;
      p.backlog = backlog = q.backlog;
      if (q.lagMsMax !== undefined) {
        // Weight each bucket's mean by its events (its commits are not kept past the merge): close enough to draw.
        const w = Math.max(1, q.imported);
        lagWeight += w;
        lagSum += q.lagMsAvg! * w;
        p.lagMsMax = Math.max(p.lagMsMax ?? 0, q.lagMsMax);
      }
    }
    if (lagWeight) p.lagMsAvg = Math.round(lagSum / lagWeight);
    out.push(p);
  }
  return out;
}

/** Events per second over a point's interval. */
export function perSecond(events: number, seconds: number): number {
  return seconds > 0 ? events / seconds : 0;
}
