/**
 * Decoder of the pgoutput logical replication protocol, version 1 (PostgreSQL's built-in output plugin):
 * https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html
 *
 * Pure: one XLogData payload in, one message out. Column values stay the server's text (we never
 * interpret them). In a tuple, a value is a string, null (SQL NULL), or undefined: an unchanged TOASTed
 * value the server did not send (kind 'u'). Callers must treat undefined as "absent", never as NULL.
 */
import { InternalError } from '../../infra/errors.js';

/** One column value of a tuple: text, SQL NULL, or undefined for an unchanged TOASTed value. */
export type TupleValue = string | null | undefined;

export interface RelationColumn {
  name: string;
  typeOid: number;
  typeMod: number;
  /** Part of the replica identity (with REPLICA IDENTITY FULL every column is). */
  isKey: boolean;
}

export type ReplicaIdentity = 'd' | 'n' | 'f' | 'i';

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: bigint; xid: number }
  | { tag: 'commit'; flags: number; commitLsn: bigint; endLsn: bigint; commitTime: bigint }
  | { tag: 'origin'; originLsn: bigint; name: string }
  | { tag: 'relation'; relationId: number; schema: string; name: string; replicaIdentity: ReplicaIdentity; columns: RelationColumn[] }
  | { tag: 'type'; typeOid: number; schema: string; name: string }
  | { tag: 'insert'; relationId: number; newTuple: TupleValue[] }
  | { tag: 'update'; relationId: number; keyTuple?: TupleValue[]; oldTuple?: TupleValue[]; newTuple: TupleValue[] }
  | { tag: 'delete'; relationId: number; keyTuple?: TupleValue[]; oldTuple?: TupleValue[] }
  | { tag: 'truncate'; relationIds: number[]; cascade: boolean; restartIdentity: boolean }
  | { tag: 'message'; transactional: boolean; lsn: bigint; prefix: string; content: Buffer };

class Cursor {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new InternalError(`pgoutput message truncated (need ${n} bytes at offset ${this.pos} of ${this.buf.length})`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  /** Null-terminated string. */
  cstr(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new InternalError('pgoutput string without terminator');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  text(n: number): string {
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

function tuple(c: Cursor): TupleValue[] {
  const n = c.i16();
  const values: TupleValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const kind = c.u8();
    switch (kind) {
      case 0x6e: // 'n'
        values[i] = null;
        break;
      case 0x75: // 'u'
        values[i] = undefined;
        break;
      case 0x74: // 't'
        values[i] = c.text(c.i32());
        break;
      default:
        // 'b' (binary) only exists with proto_version 2+ and the binary option, which we never request.
        throw new InternalError(`pgoutput tuple column kind '${String.fromCharCode(kind)}' is not supported`);
    }
  }
  return values;
}

const IDENTITIES: readonly string[] = ['d', 'n', 'f', 'i'];

/** `start`: where the message begins in `buf` (the replication stream passes its frame as is, without slicing). */
export function decodePgOutput(buf: Buffer, start = 0): PgOutputMessage {
  const c = new Cursor(buf, start);
  const tag = String.fromCharCode(c.u8());
  switch (tag) {
    case 'B':
      return { tag: 'begin', finalLsn: c.u64(), commitTime: c.i64(), xid: c.u32() };
    case 'C':
      return { tag: 'commit', flags: c.u8(), commitLsn: c.u64(), endLsn: c.u64(), commitTime: c.i64() };
    case 'O':
      return { tag: 'origin', originLsn: c.u64(), name: c.cstr() };
    case 'R': {
      const relationId = c.u32();
      const schema = c.cstr();
      const name = c.cstr();
      const ident = String.fromCharCode(c.u8());
      if (!IDENTITIES.includes(ident)) throw new InternalError(`pgoutput relation ${schema}.${name}: unknown replica identity '${ident}'`);
      const n = c.i16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < n; i++) {
        const flags = c.u8();
        columns.push({ name: c.cstr(), typeOid: c.u32(), typeMod: c.i32(), isKey: (flags & 1) === 1 });
      }
      // An empty namespace means pg_catalog (the protocol's shorthand).
      return { tag: 'relation', relationId, schema: schema === '' ? 'pg_catalog' : schema, name, replicaIdentity: ident as ReplicaIdentity, columns };
    }
    case 'Y': {
      const typeOid = c.u32();
      const schema = c.cstr();
      return { tag: 'type', typeOid, schema: schema === '' ? 'pg_catalog' : schema, name: c.cstr() };
    }
    case 'I': {
      const relationId = c.u32();
      const n = c.u8();
      if (n !== 0x4e) throw new InternalError(`pgoutput insert: expected 'N', got '${String.fromCharCode(n)}'`);
      return { tag: 'insert', relationId, newTuple: tuple(c) };
    }
    case 'U': {
      const relationId = c.u32();
      let kind = c.u8();
      let keyTuple: TupleValue[] | undefined;
      let oldTuple: TupleValue[] | undefined;
      if (kind === 0x4b) keyTuple = tuple(c); // 'K': old key (the key changed)
      else if (kind === 0x4f) oldTuple = tuple(c); // 'O': whole old row (REPLICA IDENTITY FULL)
      if (keyTuple || oldTuple) kind = c.u8();
      if (kind !== 0x4e) throw new InternalError(`pgoutput update: expected 'N', got '${String.fromCharCode(kind)}'`);
      return { tag: 'update', relationId, keyTuple, oldTuple, newTuple: tuple(c) };
    }
    case 'D': {
      const relationId = c.u32();
      const kind = c.u8();
      if (kind === 0x4b) return { tag: 'delete', relationId, keyTuple: tuple(c) };
      if (kind === 0x4f) return { tag: 'delete', relationId, oldTuple: tuple(c) };
      throw new InternalError(`pgoutput delete: expected 'K' or 'O', got '${String.fromCharCode(kind)}'`);
    }
    case 'T': {
      const n = c.i32();
      const options = c.u8();
      const relationIds: number[] = [];
      for (let i = 0; i < n; i++) relationIds.push(c.u32());
      return { tag: 'truncate', relationIds, cascade: (options & 1) !== 0, restartIdentity: (options & 2) !== 0 };
    }
    case 'M': {
      const flags = c.u8();
      const lsn = c.u64();
      const prefix = c.cstr();
      const len = c.i32();
      return { tag: 'message', transactional: (flags & 1) === 1, lsn, prefix, content: Buffer.from(c.bytes(len)) };
    }
    default:
      throw new InternalError(`unknown pgoutput message type '${tag}' (0x${buf[start]?.toString(16)})`);
  }
}
