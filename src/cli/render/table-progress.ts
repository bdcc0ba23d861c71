/**
 * Per-table snapshot progress on the console: one bar per table (cli-progress) on a terminal; plain lines
 * otherwise or with --disable-pb (a line per finished table, and an overall line every 15 s).
 */
import cliProgress from 'cli-progress';
import type { TableProgress, TableProgressItem } from '../../workflows/table-progress.js';
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

interface Entry {
  item: TableProgressItem;
  value: number;
  total: number;
  startedAt: number;
  firstValue: number;
  started?: boolean;
}

/**
 * The clock of a table starts with its first progress report (not when the command started, so a table
 * that waited for a worker is not slow); the rows of that first report are not counted in the rate.
 */
function start(e: Entry): void {
  e.started = true;
  e.startedAt = Date.now();
  e.firstValue = e.value;
}

/** Rows per second since the table's clock started; 0 until there is enough to tell. */
function rateOf(e: Entry): number {
  const secs = (Date.now() - e.startedAt) / 1000;
  return e.started && secs >= 0.5 ? (e.value - e.firstValue) / secs : 0;
}

class BarProgress implements TableProgress {
  private multi: cliProgress.MultiBar | undefined;
  private bars = new Map<string, { bar: cliProgress.SingleBar; e: Entry }>();
  constructor(private readonly style: ProgressStyle) {}

  begin(items: readonly TableProgressItem[]): void {
    const width = Math.min(40, Math.max(10, ...items.map((i) => i.label.length)));
    const rate = this.style.rate ? ' | {rate} rows/s | ETA {eta_formatted}' : '';
    this.multi = new cliProgress.MultiBar(
      { format: `{label} [{bar}] {percentage}% | {value}/{total} rows${rate}`, hideCursor: true, clearOnComplete: false, stream: process.stdout, barsize: 30, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    for (const item of items) {
      const e: Entry = { item, value: item.done ?? 0, total: Math.max(item.total, item.done ?? 0, 1), startedAt: Date.now(), firstValue: item.done ?? 0 };
      const bar = this.multi.create(e.total, e.value, { label: item.label.padEnd(width).slice(0, width), rate: 0 });
      this.bars.set(item.key, { bar, e });
    }
  }
  advance(key: string, rows: number): void {
    const b = this.bars.get(key);
    if (!b) return;
    b.e.value += rows;
    if (!b.e.started) start(b.e);
    if (b.e.value > b.e.total) {
      b.e.total = b.e.value;
      b.bar.setTotal(b.e.total);
    }
    b.bar.update(b.e.value, { rate: Math.round(rateOf(b.e)) });
  }
  setTotal(key: string, total: number): void {
    const b = this.bars.get(key);
    if (!b || total <= 0) return;
    b.e.total = Math.max(total, b.e.value);
    b.bar.setTotal(b.e.total);
  }
  finish(key: string, rows: number): void {
    const b = this.bars.get(key);
    if (!b) return;
    b.e.value = rows;
    b.e.total = rows; // an empty table shows 0/0 rows, complete
    b.bar.setTotal(rows);
    b.bar.update(rows, { rate: Math.round(rateOf(b.e)) });
  }
  end(): void {
    this.multi?.stop();
    this.multi = undefined;
  }
}

class LineProgress implements TableProgress {
  private entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private finished = 0;
  constructor(
    private readonly out: Output,
    private readonly style: ProgressStyle,
  ) {}

  begin(items: readonly TableProgressItem[]): void {
    for (const item of items) {
      this.entries.set(item.key, { item, value: item.done ?? 0, total: item.total, startedAt: Date.now(), firstValue: item.done ?? 0 });
    }
    this.timer = setInterval(() => this.overall(), 15_000);
    this.timer.unref();
  }
  private overall(): void {
    let value = 0;
    let total = 0;
    for (const e of this.entries.values()) {
      value += e.value;
      total += Math.max(e.total, e.value);
    }
    this.out.line(`progress: ${value} of ~${total} rows ${this.style.verb}, ${this.finished} of ${this.entries.size} tables done`);
  }
  advance(key: string, rows: number): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.value += rows;
    if (!e.started) start(e);
  }
  setTotal(key: string, total: number): void {
    const e = this.entries.get(key);
    if (e) e.total = total;
  }
  finish(key: string, rows: number): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.value = rows;
    this.finished++;
    const r = rateOf(e);
    const rate = this.style.rate && r > 0 ? ` (${Math.round(r)} rows/s)` : '';
    this.out.line(`${this.style.verb} ${e.item.label}: ${rows} rows${rate}`);
  }
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
