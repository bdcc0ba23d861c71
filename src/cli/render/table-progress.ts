/**
 * Per-table snapshot progress on the console: one bar per table (cli-progress) on a terminal; plain lines
 * otherwise or with --disable-pb (a line per finished table, and an overall line every 15 s).
 *
 * A bar shows the fraction done, and stays below 100% until the table is finished: a total that is only an
 * estimate (the planner's, or the rows exported so far while the import runs) must not make a bar look done.
 */
import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import type { ProgressMeasure, TableProgress, TableProgressItem } from '../../workflows/table-progress.js';
import type { Output } from './output.js';

export interface ProgressStyle {
  /** 'exported' / 'imported': the verb of the plain lines. */
  verb: string;
  /** Show rows/s and ETA (import). */
  rate: boolean;
}

export function createTableProgress(out: Output, disableBars: boolean, style: ProgressStyle): TableProgress {
  return out.isTTY && !disableBars ? new BarProgress(style) : new LineProgress(out, style);
}

/** Bars count in thousandths of their table, so a fraction shows whatever measured it. */
const BAR_UNITS = 1000;
/** The most a table that is not finished may show. */
const UNFINISHED_CAP = 0.99;

interface Entry {
  item: TableProgressItem;
  rows: number;
  /** Rows expected in all (0: unknown). */
  total: number;
  /** Set by `measure`: the caller's fraction, and its total is an estimate. */
  measured?: number;
  finished: boolean;
  startedAt: number;
  firstRows: number;
  started?: boolean;
}

function newEntry(item: TableProgressItem): Entry {
  return { item, rows: item.done ?? 0, total: item.total, finished: false, startedAt: Date.now(), firstRows: item.done ?? 0 };
}

/**
 * The clock of a table starts with its first progress report (not when the command started, so a table
 * that waited for a worker is not slow); the rows of that first report are not counted in the rate.
 */
function start(e: Entry): void {
  e.started = true;
  e.startedAt = Date.now();
  e.firstRows = e.rows;
}

/** Rows per second since the table's clock started; 0 until there is enough to tell. */
function rateOf(e: Entry): number {
  const secs = (Date.now() - e.startedAt) / 1000;
  return e.started && secs >= 0.5 ? (e.rows - e.firstRows) / secs : 0;
}

export function fractionOf(e: Pick<Entry, 'rows' | 'total' | 'measured' | 'finished'>): number {
  if (e.finished) return 1;
  const f = e.measured ?? (e.total > 0 ? e.rows / e.total : 0);
  return Math.max(0, Math.min(UNFINISHED_CAP, f));
}

/** `1234 rows`, `1234/5000 rows`, or `1234 of ~5000 rows` when the total is an estimate. */
export function rowsText(e: Pick<Entry, 'rows' | 'total' | 'measured' | 'finished'>): string {
  if (e.finished || e.total <= 0) return `${e.rows} rows`;
  return e.measured !== undefined ? `${e.rows} of ~${e.total} rows` : `${e.rows}/${Math.max(e.total, e.rows)} rows`;
}

function applyMeasure(e: Entry, m: ProgressMeasure): void {
  const more = m.rows > e.rows;
  e.rows = m.rows;
  if (!e.started && more) start(e);
  e.measured = m.fraction;
  e.total = m.expectedRows ?? 0;
}

abstract class EntryProgress implements TableProgress {
  protected entries = new Map<string, Entry>();
  begin(items: readonly TableProgressItem[]): void {
    for (const item of items) this.entries.set(item.key, newEntry(item));
  }
  advance(key: string, rows: number): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.rows += rows;
    if (!e.started) start(e);
    this.changed(e);
  }
  setTotal(key: string, total: number): void {
    const e = this.entries.get(key);
    if (!e || total <= 0) return;
    e.total = total;
    this.changed(e);
  }
  measure(key: string, m: ProgressMeasure): void {
    const e = this.entries.get(key);
    if (!e) return;
    applyMeasure(e, m);
    this.changed(e);
  }
  finish(key: string, rows: number): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.rows = rows;
    e.total = rows;
    e.finished = true;
    this.finished(e);
  }
  abstract end(): void;
  protected abstract changed(e: Entry): void;
  protected abstract finished(e: Entry): void;
}

class BarProgress extends EntryProgress {
  private multi: cliProgress.MultiBar | undefined;
  private bars = new Map<Entry, cliProgress.SingleBar>();
  constructor(private readonly style: ProgressStyle) {
    super();
  }

  override begin(items: readonly TableProgressItem[]): void {
    super.begin(items);
    const width = Math.min(40, Math.max(10, ...items.map((i) => i.label.length)));
    const rate = this.style.rate ? ' | {rate} rows/s | ETA {eta_formatted}' : '';
    // Loaded only here, for bars on a terminal: ~15 ms of start-up that a run without bars (a service, a
    // resumed run with nothing to copy) does not pay.
    const bars = createRequire(import.meta.url)('cli-progress') as typeof cliProgress;
    this.multi = new bars.MultiBar(
      { format: `{label} [{bar}] {percentage}% | {rows}${rate}`, hideCursor: true, clearOnComplete: false, stream: process.stdout, barsize: 30, etaBuffer: 50 },
      bars.Presets.shades_classic,
    );
    for (const e of this.entries.values()) {
      const bar = this.multi.create(BAR_UNITS, units(e), { label: e.item.label.padEnd(width).slice(0, width), rate: 0, rows: rowsText(e) });
      this.bars.set(e, bar);
    }
  }
  protected changed(e: Entry): void {
    this.bars.get(e)?.update(units(e), { rate: Math.round(rateOf(e)), rows: rowsText(e) });
  }
  protected finished(e: Entry): void {
    this.changed(e);
  }
  end(): void {
    this.multi?.stop();
    this.multi = undefined;
  }
}

function units(e: Entry): number {
  return Math.floor(fractionOf(e) * BAR_UNITS);
}

class LineProgress extends EntryProgress {
  private timer: NodeJS.Timeout | undefined;
  private finishedTables = 0;
  constructor(
    private readonly out: Output,
    private readonly style: ProgressStyle,
  ) {
    super();
  }

  override begin(items: readonly TableProgressItem[]): void {
    super.begin(items);
    this.timer = setInterval(() => this.overall(), 15_000);
    this.timer.unref();
  }
  private overall(): void {
    let rows = 0;
    let total = 0;
    for (const e of this.entries.values()) {
      rows += e.rows;
      total += Math.max(e.total, e.rows);
    }
    this.out.line(`progress: ${rows} of ~${total} rows ${this.style.verb}, ${this.finishedTables} of ${this.entries.size} tables done`);
  }
  protected changed(): void {}
  protected finished(e: Entry): void {
    this.finishedTables++;
    const r = rateOf(e);
    const rate = this.style.rate && r > 0 ? ` (${Math.round(r)} rows/s)` : '';
    this.out.line(`${this.style.verb} ${e.item.label}: ${e.rows} rows${rate}`);
  }
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
