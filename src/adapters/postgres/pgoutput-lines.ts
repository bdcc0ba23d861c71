/**
 * The change export's fast path: an Insert, Update or Delete message of pgoutput written straight into the
 * queue as its NDJSON line, value bytes copied from the replication frame (escaped where JSON needs it),
 * without decoding into strings, tuples and rows first. The line is byte for byte the one the general path
 * (decodePgOutput → PgOutputTranslator → QueueWriter.append) writes; the unit tests compare the two.
 *
 * Anything unusual goes to the general path, which also owns every error message: a message that does not
 * parse, a table we do not export or have no Relation for, REPLICA IDENTITY FULL old rows ('O', which also
 * carry `before`), a key value the server did not send, column counts that differ from the Relation.
 */
import type { DataLineSink } from '../../core/json-line.js';
import type { PgOutputTranslator, RelationEntry } from './pgoutput-events.js';

const TAG_INSERT = 0x49; // 'I'
const TAG_UPDATE = 0x55; // 'U'
const TAG_DELETE = 0x44; // 'D'
const SUB_NEW = 0x4e; // 'N'
const SUB_KEY = 0x4b; // 'K'
const KIND_NULL = 0x6e; // 'n'
const KIND_UNCHANGED = 0x75; // 'u': an unchanged TOASTed value, not sent
const KIND_TEXT = 0x74; // 't'
/** PostgreSQL's limit on columns per table. */
const MAX_COLUMNS = 1600;

/** Where each value of one tuple lies in the frame. */
class TupleSlots {
  count = 0;
  readonly kinds = new Uint8Array(MAX_COLUMNS);
  readonly starts = new Int32Array(MAX_COLUMNS);
  readonly ends = new Int32Array(MAX_COLUMNS);

  /** Reads a TupleData at `pos`; returns the position after it, or -1 when it is not one we handle. */
  scan(buf: Buffer, pos: number): number {
    if (pos + 2 > buf.length) return -1;
    const n = buf.readInt16BE(pos);
    pos += 2;
    if (n < 0 || n > MAX_COLUMNS) return -1;
    for (let i = 0; i < n; i++) {
      if (pos >= buf.length) return -1;
      const kind = buf[pos++];
      this.kinds[i] = kind;
      if (kind === KIND_TEXT) {
        if (pos + 4 > buf.length) return -1;
        const len = buf.readInt32BE(pos);
        pos += 4;
        if (len < 0 || pos + len > buf.length) return -1;
        this.starts[i] = pos;
        this.ends[i] = pos += len;
      } else if (kind !== KIND_NULL && kind !== KIND_UNCHANGED) {
        return -1;
      }
    }
    this.count = n;
    return pos;
  }
}

/** Pre-encoded pieces of one table's lines. */
interface LinePieces {
  /** `"op":"c","schema":…,"table":…,"key":{` per op. */
  head: { c: Buffer; u: Buffer; d: Buffer };
  /** Column indexes in the order JSON.stringify would emit them (see emissionOrder). */
  keyOrder: number[];
  rowOrder: number[];
  /** `"name":` for the first member of an object, `,"name":` for the others, per column index. */
  first: Buffer[];
  next: Buffer[];
}

const AFTER = Buffer.from('},"after":{');
const CLOSE = Buffer.from('}}\n');
const NULL = Buffer.from('null');

export class PgOutputLineEncoder {
  private readonly pieces = new WeakMap<RelationEntry, LinePieces>();
  private readonly key = new TupleSlots();
  private readonly row = new TupleSlots();

  constructor(private readonly translator: PgOutputTranslator) {}

  /** Writes the message at `offset` of `frame` as one line into `sink`; false when the general path must. */
  append(frame: Buffer, offset: number, sink: DataLineSink): boolean {
    const tag = frame[offset];
    if ((tag !== TAG_INSERT && tag !== TAG_UPDATE && tag !== TAG_DELETE) || offset + 6 > frame.length) return false;
    const rel = this.translator.exportedRelation(frame.readUInt32BE(offset + 1));
    if (!rel) return false;
    let pos = offset + 5;
    let sub = frame[pos++];
    // Which tuple identifies the row: the old key when the server sent one, else the new row itself.
    let keySlots = this.row;
    if (tag === TAG_DELETE || (tag === TAG_UPDATE && sub === SUB_KEY)) {
      if (sub !== SUB_KEY || (pos = this.key.scan(frame, pos)) < 0) return false;
      keySlots = this.key;
      if (tag === TAG_UPDATE) {
        if (pos >= frame.length) return false;
        sub = frame[pos++];
      }
    }
    if (tag !== TAG_DELETE && (sub !== SUB_NEW || this.row.scan(frame, pos) < 0 || this.row.count !== rel.columns.length)) return false;
    if (keySlots.count !== rel.columns.length) return false;
    for (const i of rel.keyIndexes) if (keySlots.kinds[i] === KIND_UNCHANGED) return false;

    const p = this.piecesOf(rel);
    const op = tag === TAG_INSERT ? 'c' : tag === TAG_UPDATE ? 'u' : 'd';
    sink.beginDataLine();
    const out = sink.out;
    out.bytes(p.head[op]);
    this.members(frame, keySlots, p.keyOrder, p, sink);
    if (op !== 'd') {
      out.bytes(AFTER);
      this.members(frame, this.row, p.rowOrder, p, sink);
    }
    out.bytes(CLOSE);
    sink.endDataLine(op, rel.schema, rel.table);
    return true;
  }

  private members(frame: Buffer, slots: TupleSlots, order: number[], p: LinePieces, sink: DataLineSink): void {
    const out = sink.out;
    let firstMember = true;
    for (const i of order) {
      const kind = slots.kinds[i];
      if (kind === KIND_UNCHANGED) continue;
      out.bytes(firstMember ? p.first[i] : p.next[i]);
      firstMember = false;
      if (kind === KIND_NULL) out.bytes(NULL);
      else out.jsonString(frame, slots.starts[i], slots.ends[i]);
    }
  }

  private piecesOf(rel: RelationEntry): LinePieces {
    let p = this.pieces.get(rel);
    if (!p) {
      const names = rel.columns.map((c) => JSON.stringify(c.name) + ':');
      const head = (op: string) => Buffer.from(`"op":"${op}","schema":${JSON.stringify(rel.schema)},"table":${JSON.stringify(rel.table)},"key":{`);
      p = {
        head: { c: head('c'), u: head('u'), d: head('d') },
        keyOrder: emissionOrder(rel.keyIndexes, rel),
        rowOrder: emissionOrder(rel.columns.map((_, i) => i), rel),
        first: names.map((n) => Buffer.from(n)),
        next: names.map((n) => Buffer.from(',' + n)),
      };
      this.pieces.set(rel, p);
    }
    return p;
  }
}

/** Array-index-like property names (JavaScript puts them first, in numeric order, in every object). */
const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * The order in which a JavaScript object built by inserting these columns in turn lists its keys: integer
 * keys (a column named "2") first in ascending order, then the others in insertion order.
 */
function emissionOrder(indexes: readonly number[], rel: RelationEntry): number[] {
  const isIndex = (i: number) => ARRAY_INDEX.test(rel.columns[i].name) && Number(rel.columns[i].name) < 2 ** 32 - 1;
  const ints = indexes.filter(isIndex).sort((a, b) => Number(rel.columns[a].name) - Number(rel.columns[b].name));
  return [...ints, ...indexes.filter((i) => !isIndex(i))];
}
