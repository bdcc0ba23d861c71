/**
 * The numbers of the change-import metrics table (pure: time is passed in). They decide when a user cuts
 * over, so each is defined exactly:
 *
 *  Total Imported events        events applied to the database over the whole migration (its watermark row)
 *  Events Imported in this Run  events applied by this process
 *  Ingestion Rate (last N)      events applied in the last N minutes ÷ that time (or ÷ the run's time, when
 *                               the run is younger than N minutes)
 *  Time taken in this Run       minutes since this process started applying
 *  Remaining Events             events exported (committed to the queue) − events imported
 *  Estimated Time to catch up   Remaining ÷ (ingestion rate − export rate), both over the last minute: the
 *                               backlog shrinks only by what is applied beyond what keeps arriving
 */

/** A cumulative counter sampled over time, for rates over sliding windows. */
export class CounterSeries {
  private samples: { t: number; v: number }[] = [];

  constructor(startMs: number, startValue: number) {
    this.samples.push({ t: startMs, v: startValue });
  }

  /** Record the counter's value at time t (ms). At most one sample per second is kept. */
  record(t: number, v: number): void {
    const last = this.samples[this.samples.length - 1];
    if (t < last.t) return;
    // Within the same wall-clock second as the previous sample (never the start sample): replace it.
    if (this.samples.length > 1 && Math.floor(t / 1000) === Math.floor(last.t / 1000)) {
      last.t = t;
      last.v = v;
    } else {
      this.samples.push({ t, v });
    }
    // Keep 10 minutes of history plus the one sample just before it.
    const horizon = t - 10 * 60_000 - 1000;
    let drop = 0;
    while (drop + 1 < this.samples.length && this.samples[drop + 1].t <= horizon) drop++;
    if (drop) this.samples.splice(0, drop);
  }

  get latest(): number {
    return this.samples[this.samples.length - 1].v;
  }

  /**
   * Per-second rate over the last `windowMs` before `now`: from the newest sample at or before the
   * window's start (or the first sample, when history is shorter) to the latest sample.
   */
  rate(now: number, windowMs: number): number {
    const last = this.samples[this.samples.length - 1];
    const from = now - windowMs;
    let base = this.samples[0];
    for (const s of this.samples) {
      if (s.t <= from) base = s;
      else break;
    }
    const seconds = (now - base.t) / 1000;
    if (seconds <= 0) return 0;
    return (last.v - base.v) / seconds;
  }
}

export interface ImportMetrics {
  totalImported: number;
  runImported: number;
  rate3m: number;
  rate10m: number;
  runMs: number;
  remaining: number;
  /** Seconds to catch up; 0 when caught up; undefined when unknown (nothing measured); Infinity when falling behind. */
  etaSeconds: number | undefined;
}

/** Follows one run of the importer: what the database holds, and what the exporter(s) it follows committed. */
export class ImportProgress {
  private readonly imported: CounterSeries;
  private readonly exported: CounterSeries;

  constructor(
    private readonly startMs: number,
    /** Events the database held when this run started (its watermark row's totals). */
    private readonly importedAtStart: number,
    exportedAtStart: number,
  ) {
    this.imported = new CounterSeries(startMs, importedAtStart);
    this.exported = new CounterSeries(startMs, exportedAtStart);
  }

  /** `importedTotal`: events the database holds (committed), over the whole migration. */
  recordImported(now: number, importedTotal: number): void {
    this.imported.record(now, importedTotal);
  }

  /** `exportedTotal`: events committed to the queue by the exporter(s) this importer follows. */
  recordExported(now: number, exportedTotal: number): void {
    this.exported.record(now, exportedTotal);
  }

  metrics(now: number): ImportMetrics {
    const totalImported = this.imported.latest;
    const remaining = Math.max(0, this.exported.latest - totalImported);
    const importRate = this.imported.rate(now, 60_000);
    const exportRate = this.exported.rate(now, 60_000);
    let etaSeconds: number | undefined;
    if (remaining === 0) etaSeconds = 0;
    else if (importRate <= 0) etaSeconds = undefined;
    else if (importRate <= exportRate) etaSeconds = Infinity;
    else etaSeconds = remaining / (importRate - exportRate);
    return {
      totalImported,
      runImported: totalImported - this.importedAtStart,
      rate3m: this.imported.rate(now, 3 * 60_000),
      rate10m: this.imported.rate(now, 10 * 60_000),
      runMs: now - this.startMs,
      remaining,
      etaSeconds,
    };
  }
}

/** Go's time.Duration text for whole seconds, as the reference tool prints it: 45s, 5m42s, 1h0m7s. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

/** The spec's `Metric | Value` rows for the change import. */
export function importMetricRows(m: ImportMetrics): [string, string][] {
  const eta =
    m.etaSeconds === undefined ? '-' : m.etaSeconds === Infinity ? 'not catching up' : formatDuration(m.etaSeconds);
  return [
    ['Total Imported events', String(m.totalImported)],
    ['Events Imported in this Run', String(m.runImported)],
    ['Ingestion Rate (last 3 mins)', `${Math.round(m.rate3m)} events/sec`],
    ['Ingestion Rate (last 10 mins)', `${Math.round(m.rate10m)} events/sec`],
    ['Time taken in this Run', `${(m.runMs / 60_000).toFixed(2)} mins`],
    ['Remaining Events', String(m.remaining)],
    ['Estimated Time to catch up', eta],
  ];
}
