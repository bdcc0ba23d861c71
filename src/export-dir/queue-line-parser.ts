/**
 * Reading queue lines faster than JSON.parse: parsing them was a third of the importer's CPU. The writer
 * (queue.ts) emits every data and commit event in one fixed form, without whitespace:
 *
 *   {"vsn":N,"op":"commit","pos":"…","ts":"…"}                                        ts optional
 *   {"vsn":N,"op":"c|u|d","schema":"…","table":"…","key":{…},"after":{…},"before":{…}}   after, before optional
 *
 * where rows map names to strings or null. A line in exactly that form and without a backslash (so no string
 * holds an escape; the writer escapes every control character, quote and lone surrogate) is read here. Any
 * other line (markers, escapes, another writer's spelling) goes to JSON.parse. Either way the event is the one
 * JSON.parse returns for the line.
 */
import type { QueueEvent, Row } from '../core/change-event.js';

/** Builds one row from the values read, in the order of its shape's names. */
type RowBuilder = (values: readonly (string | null)[]) => Row;

interface RowShape {
  names: string[];
  build: RowBuilder;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const ZERO = 0x30;
const NINE = 0x39;
/** Digits of a vsn read here (15 stay exact in a double); longer ones go to JSON.parse. */
const MAX_VSN_DIGITS = 15;
/** Row shapes compiled per parser; past that, rows of new shapes are left to JSON.parse. */
const MAX_SHAPES = 4096;
/** Schema and table names kept per parser; past that, new ones are copied each time. */
const MAX_NAMES = 16384;
/**
 * Schema and table names recently seen, tried before slicing a new string. Few: with many tables, trying many
 * names (often with a common prefix) costs more than the slice it saves.
 */
const RECENT_NAMES = 4;
/** Row shapes tried per table before the map: a table's rows come in a few shapes (key, full row, TOAST-less). */
const RECENT_SHAPES = 8;

export class QueueLineParser {
  private text = '';
  /** Where the current line ends (its '\n', or the end of the text). */
  private end = 0;
  private pos = 0;
  /** Scratch for the row being read: where each name starts and ends, and the values. */
  private readonly nameBounds: number[] = [];
  private readonly values: (string | null)[] = [];
  private readonly shapes = new Map<string, RowShape>();
  /** Table name → the shapes of its recent rows, most recent first. */
  private readonly recentShapes = new Map<string, RowShape[]>();
  /** Schema and table names, each kept once (and not as a slice: see detached); the last few tried first. */
  private readonly names = new Map<string, string>();
  private readonly recentNames: string[] = [];

  /**
   * Appends to `out` the events of `text` (lines separated by '\n', without a final one) whose vsn is above
   * `afterVsn`. Lines at or below it are skipped, unparsed when the vsn is read fast.
   */
  parse(text: string, afterVsn: number, out: QueueEvent[]): void {
    this.text = text;
    // The next backslash at or after the line's start (Infinity: none): one scan per text, not per line.
    let backslash = -1;
    for (let start = 0; ; ) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (backslash < start) {
        backslash = text.indexOf('\\', start);
        if (backslash < 0) backslash = Infinity;
      }
      this.end = end;
      this.pos = start;
      const vsn = backslash > end ? this.vsn() : -1;
      if (vsn < 0) {
        const e = JSON.parse(text.slice(start, end)) as QueueEvent;
        if (e.vsn > afterVsn) out.push(e);
      } else if (vsn > afterVsn) {
        out.push(this.rest(vsn) ?? (JSON.parse(text.slice(start, end)) as QueueEvent));
      }
      if (end === text.length) return;
      start = end + 1;
    }
  }

  /** `{"vsn":N,` → N, or -1 when the line does not start so. */
  private vsn(): number {
    if (!this.lit('{"vsn":')) return -1;
    const s = this.text;
    const from = this.pos;
    let i = from;
    let v = 0;
    for (let c = s.charCodeAt(i); c >= ZERO && c <= NINE; c = s.charCodeAt(++i)) v = v * 10 + (c - ZERO);
    const digits = i - from;
    // JSON allows no leading zero.
    if (digits === 0 || digits > MAX_VSN_DIGITS || (digits > 1 && s.charCodeAt(from) === ZERO)) return -1;
    this.pos = i;
    return v;
  }

  /** The rest of the line after the vsn, or undefined when it is not in the writer's form. */
  private rest(vsn: number): QueueEvent | undefined {
    if (!this.lit(',"op":"')) return undefined;
    const op = this.op();
    if (op === undefined) return undefined;
    if (op === 'commit') {
      if (!this.lit(',"pos":"')) return undefined;
      const pos = this.str();
      if (pos === undefined) return undefined;
      if (this.lit('}')) return this.atEnd() ? { vsn, op, pos } : undefined;
      if (!this.lit(',"ts":"')) return undefined;
      const ts = this.str();
      return ts !== undefined && this.lit('}') && this.atEnd() ? { vsn, op, pos, ts } : undefined;
    }
    if (!this.lit(',"schema":"')) return undefined;
    const schema = this.name();
    if (schema === undefined || !this.lit(',"table":"')) return undefined;
    const table = this.name();
    if (table === undefined || !this.lit(',"key":')) return undefined;
    let shapes = this.recentShapes.get(table);
    if (!shapes) this.recentShapes.set(table, (shapes = []));
    const key = this.row(shapes);
    if (key === undefined) return undefined;
    let after: Row | undefined;
    let before: Row | undefined;
    if (this.lit(',"after":') && (after = this.row(shapes)) === undefined) return undefined;
    if (this.lit(',"before":') && (before = this.row(shapes)) === undefined) return undefined;
    if (!this.lit('}') || !this.atEnd()) return undefined;
    // Literals with JSON.parse's key order, no `after: undefined` where the line has none.
    if (before !== undefined) return after !== undefined ? { vsn, op, schema, table, key, after, before } : { vsn, op, schema, table, key, before };
    return after !== undefined ? { vsn, op, schema, table, key, after } : { vsn, op, schema, table, key };
  }

  private lit(token: string): boolean {
    if (!matchesAt(this.text, this.pos, token)) return false;
    this.pos += token.length;
    return true;
  }

  private atEnd(): boolean {
    return this.pos === this.end;
  }

  /** The op and its closing quote, as the constant strings the event types name. */
  private op(): 'c' | 'u' | 'd' | 'commit' | undefined {
    const s = this.text;
    const i = this.pos;
    if (s.charCodeAt(i + 1) === QUOTE) {
      this.pos = i + 2;
      const c = s[i];
      return c === 'c' || c === 'u' || c === 'd' ? c : undefined;
    }
    return this.lit('commit"') ? 'commit' : undefined;
  }

  /** A string's content up to its closing quote (the opening one is read). No escapes: the line has no backslash. */
  private str(): string | undefined {
    const close = this.text.indexOf('"', this.pos);
    if (close < 0 || close >= this.end) return undefined;
    const v = this.text.slice(this.pos, close);
    this.pos = close + 1;
    return v;
  }

  /** A schema or table name: the same string object as the last time it was seen, if recently. */
  private name(): string | undefined {
    const s = this.text;
    const i = this.pos;
    for (const n of this.recentNames) {
      if (s.charCodeAt(i + n.length) === QUOTE && matchesAt(s, i, n)) {
        this.pos = i + n.length + 1;
        return n;
      }
    }
    const sliced = this.str();
    if (sliced === undefined) return undefined;
    let n = this.names.get(sliced);
    if (n === undefined) {
      n = detached(sliced);
      if (this.names.size < MAX_NAMES) this.names.set(n, n);
    }
    this.recentNames.unshift(n);
    if (this.recentNames.length > RECENT_NAMES) this.recentNames.pop();
    return n;
  }

  /** `{"name":"value"|null,…}`, its shape looked for among `recent` first (and added there). */
  private row(recent: RowShape[]): Row | undefined {
    const s = this.text;
    const end = this.end;
    let i = this.pos;
    if (s.charCodeAt(i++) !== OPEN) return undefined;
    let n = 0;
    if (s.charCodeAt(i) === CLOSE) i++;
    else {
      for (;;) {
        if (s.charCodeAt(i) !== QUOTE) return undefined;
        const nameEnd = s.indexOf('"', i + 1);
        if (nameEnd < 0 || nameEnd >= end || s.charCodeAt(nameEnd + 1) !== COLON) return undefined;
        this.nameBounds[2 * n] = i + 1;
        this.nameBounds[2 * n + 1] = nameEnd;
        i = nameEnd + 2;
        if (s.charCodeAt(i) === QUOTE) {
          const close = s.indexOf('"', i + 1);
          if (close < 0 || close >= end) return undefined;
          this.values[n] = s.slice(i + 1, close);
          i = close + 1;
        } else if (matchesAt(s, i, 'null')) {
          this.values[n] = null;
          i += 4;
        } else {
          return undefined;
        }
        n++;
        const c = s.charCodeAt(i++);
        if (c === CLOSE) break;
        if (c !== COMMA) return undefined;
      }
    }
    this.pos = i;
    return this.shape(n, recent)?.build(this.values);
  }

  /** The shape of the row just read (its `n` names), compiled the first time it is seen. */
  private shape(n: number, recent: RowShape[]): RowShape | undefined {
    const s = this.text;
    const bounds = this.nameBounds;
    for (const shape of recent) {
      const names = shape.names;
      if (names.length !== n) continue;
      let k = 0;
      while (k < n && names[k].length === bounds[2 * k + 1] - bounds[2 * k] && matchesAt(s, bounds[2 * k], names[k])) k++;
      if (k === n) return shape;
    }
    const names: string[] = [];
    for (let k = 0; k < n; k++) names.push(detached(s.slice(bounds[2 * k], bounds[2 * k + 1])));
    const sig = JSON.stringify(names);
    let shape = this.shapes.get(sig);
    if (!shape) {
      if (this.shapes.size >= MAX_SHAPES) return undefined;
      this.shapes.set(sig, (shape = { names, build: compileRowBuilder(names) }));
    }
    recent.unshift(shape);
    if (recent.length > RECENT_SHAPES) recent.pop();
    return shape;
  }
}

/**
 * A copy of `s` that does not keep alive the text it was sliced from (V8 slices of 13+ characters point into
 * their parent): for what the parser keeps, so it never holds on to a read's whole text.
 */
function detached(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** `s.startsWith(part, at)`, which V8 does not inline: a call per token cost more than the rest of a line. */
function matchesAt(s: string, at: number, part: string): boolean {
  for (let k = 0; k < part.length; k++) if (s.charCodeAt(at + k) !== part.charCodeAt(k)) return false;
  return true;
}

/**
 * `v => ({"id": v[0], "bal": v[1]})`: an object literal is built faster than property by property, and keeps
 * fast properties however wide the table (keyed stores turn an object into a dictionary past ~16 of them).
 * Names are quoted by JSON.stringify; `__proto__` is a computed key, so it is an own property as in JSON.parse.
 */
function compileRowBuilder(names: readonly string[]): RowBuilder {
  const props = names.map((n, i) => `${n === '__proto__' ? `["__proto__"]` : JSON.stringify(n)}: v[${i}]`);
  return new Function('v', `return { ${props.join(', ')} };`) as RowBuilder;
}
