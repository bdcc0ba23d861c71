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
}

function rateOf(e: Entry): number {
  const secs = (Date.now() - e.startedAt) / 1000;
  return secs > 0 ? (e.value - e.firstValue) / secs : 0;
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
    b.e.total = Math.max(rows, 1);
    b.bar.setTotal(b.e.total);
    b.bar.update(rows === 0 ? 1 : rows, { rate: Math.round(rateOf(b.e)) });
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
    if (e) e.value += rows;
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
    const rate = this.style.rate ? ` (${Math.round(rateOf(e))} rows/s)` : '';
    this.out.line(`${this.style.verb} ${e.item.label}: ${rows} rows${rate}`);
  }
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
