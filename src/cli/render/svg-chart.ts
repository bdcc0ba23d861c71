/**
 * Line charts over time as inline SVG, for the HTML migration report: readable with no JavaScript and no
 * network. Each series is one <path> (broken where a value is missing, e.g. no lag in a quiet interval) that
 * carries its values in data-values, with a <circle> per point (hover: its <title>) when there are few enough.
 * Pure: data in, markup out.
 */
import { escapeHtml } from '../../workflows/schema-report/html.js';

export interface ChartSeries {
  name: string;
  color: string;
  /** One value per time of the chart; undefined where there is none. */
  values: readonly (number | undefined)[];
}

export interface ChartMark {
  /** Epoch seconds. */
  t: number;
  label: string;
}

export interface TimeChart {
  id: string;
  title: string;
  /** What the y axis counts: 'events/s', 'ms', 'events'. */
  unit: string;
  /** Epoch seconds of each point (with `pointSeconds`: the start of the interval it covers). */
  times: readonly number[];
  /**
   * Each point covers `pointSeconds` from its time: it is drawn at the middle of its interval and the time axis
   * runs from the first interval's start to the last one's end (so a mark inside the last interval is drawn).
   */
  pointSeconds?: number;
  series: readonly ChartSeries[];
  /** Vertical lines at moments that matter (cutover requested, completed). */
  marks?: readonly ChartMark[];
}

const W = 920;
const H = 260;
const PAD = { left: 70, right: 20, top: 34, bottom: 44 };
/** Above this many points the circles would cover the line: the path alone is drawn. */
const MAX_CIRCLES = 240;

export function timeChartSvg(c: TimeChart): string {
  const label = `${c.title} (${c.unit})`;
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${escapeHtml(c.id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(label)}">`
    + `<title>${escapeHtml(label)}</title>`
    + `<text class="chart-title" x="${PAD.left}" y="20">${escapeHtml(label)}</text>`;
  if (!c.times.length) {
    return `${head}<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">nothing recorded yet</text></svg>`;
  }
  const half = (c.pointSeconds ?? 0) / 2;
  const t0 = c.times[0]!;
  const t1 = Math.max(c.times[c.times.length - 1]! + 2 * half, t0 + 1);
  /** Where point j is drawn. */
  const at = (j: number) => c.times[j]! + half;
  const maxValue = Math.max(0, ...c.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined)));
  const yTicks = niceTicks(maxValue);
  const yMax = yTicks[yTicks.length - 1]!;
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [head];

  parts.push('<g class="axis y-axis">');
  for (const v of yTicks) {
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${fmt(y(v))}" y2="${fmt(y(v))}"/>`);
    parts.push(`<text x="${PAD.left - 8}" y="${fmt(y(v) + 4)}" text-anchor="end">${escapeHtml(shortNumber(v))}</text>`);
  }
  parts.push('</g><g class="axis x-axis">');
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}"/>`);
  for (const t of timeTicks(t0, t1)) {
    const anchor = x(t) > W - PAD.right - 30 ? 'end' : 'middle';
    parts.push(`<text x="${fmt(x(t))}" y="${H - PAD.bottom + 18}" text-anchor="${anchor}">${escapeHtml(timeLabel(t, t1 - t0))}</text>`);
  }
  parts.push(`<text x="${W - PAD.right}" y="${H - 6}" text-anchor="end">time (UTC)</text></g>`);

  (c.marks ?? []).filter((m) => m.t >= t0 && m.t <= t1).forEach((m, k) => {
    // Labels step down so close marks stay readable, and turn left near the right edge.
    const mx = x(m.t);
    const right = mx > W * 0.7;
    parts.push(`<g class="mark"><line x1="${fmt(mx)}" x2="${fmt(mx)}" y1="${PAD.top}" y2="${H - PAD.bottom}"/>`
      + `<text x="${fmt(right ? mx - 4 : mx + 4)}" y="${PAD.top + 10 + (k % 4) * 12}" text-anchor="${right ? 'end' : 'start'}">${escapeHtml(m.label)}</text></g>`);
  });

  c.series.forEach((s, i) => {
    let d = '';
    let open = false;
    s.values.forEach((v, j) => {
      if (v === undefined) {
        open = false;
        return;
      }
      d += `${open ? 'L' : 'M'}${fmt(x(at(j)))},${fmt(y(v))}`;
      open = true;
    });
    const values = s.values.map((v) => (v === undefined ? '' : String(round(v)))).join(',');
    parts.push(`<g class="series" data-series="${escapeHtml(s.name)}">`
      + `<path d="${d}" fill="none" stroke="${escapeHtml(s.color)}" stroke-width="2" data-values="${values}"/>`);
    if (c.times.length <= MAX_CIRCLES) {
      s.values.forEach((v, j) => {
        if (v === undefined) return;
        const t = c.times[j]!;
        const when = half ? `${isoSeconds(t)}–${isoSeconds(t + 2 * half).slice(11)}` : isoSeconds(t);
        parts.push(`<circle cx="${fmt(x(at(j)))}" cy="${fmt(y(v))}" r="2.5" fill="${escapeHtml(s.color)}" data-t="${t}" data-v="${round(v)}">`
          + `<title>${escapeHtml(`${s.name}, ${when}: ${round(v)} ${c.unit}`)}</title></circle>`);
      });
    }
    parts.push('</g>');
    // Legend, top right, one entry per series.
    const lx = W - PAD.right - 170 * (c.series.length - i);
    parts.push(`<g class="legend"><rect x="${lx}" y="10" width="12" height="12" fill="${escapeHtml(s.color)}"/>`
      + `<text x="${lx + 17}" y="20">${escapeHtml(s.name)}</text></g>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** 0 and 4-6 round steps above it, the last at or above `max`. */
export function niceTicks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / 5;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) {
    ticks.push(round(v));
    if (v >= max) break;
  }
  return ticks;
}

/** About six ticks on whole seconds, minutes or hours, whichever fits the span. */
function timeTicks(t0: number, t1: number): number[] {
  const span = t1 - t0;
  const step = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400].find((s) => span / s <= 6) ?? 86400 * Math.ceil(span / 6 / 86400);
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

function timeLabel(t: number, span: number): string {
  const iso = new Date(t * 1000).toISOString();
  return span > 86400 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 19);
}

/** 2027-01-15T08:00:10Z */
function isoSeconds(t: number): string {
  return new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function shortNumber(v: number): string {
  if (v >= 1e6) return `${round(v / 1e6)}M`;
  if (v >= 1e4) return `${round(v / 1e3)}k`;
  return String(round(v));
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

function fmt(n: number): string {
  return n.toFixed(1);
}
