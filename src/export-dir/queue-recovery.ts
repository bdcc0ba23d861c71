/**
 * What a segment file holds past its recorded size that the queue may take back. The writer records its
 * commits without waiting for the disk (queue.ts, rule 1), so after an OS crash meta.db can lack its last
 * records while the file, fsynced before each of them, still has their lines; readers may even have applied
 * them. Those lines are complete transactions: data and commit events with vsns following on from the
 * recorded ones, each transaction ending in its commit line. Whatever follows the last such commit (a
 * transaction cut short, a torn line, a marker, which is only ever recorded synchronously) is not taken.
 */
import fs from 'node:fs';
import type { QueueEvent } from '../core/change-event.js';
import { isDataEvent } from '../core/change-event.js';

export interface TableCounts {
  schema: string;
  table: string;
  c: number;
  u: number;
  d: number;
}

export interface CompleteTail {
  /** Byte offset just past the last complete transaction's commit line. */
  end: number;
  firstVsn: number;
  lastVsn: number;
  /** The last commit's source position: everything up to it is in the queue. */
  pos: string;
  dataEvents: number;
  counts: TableCounts[];
}

const READ_BYTES = 1 << 20;

/** The complete transactions in `file` from byte `from` on, whose first vsn must be `nextVsn`; undefined if none. */
export function completeTransactionsAfter(file: string, from: number, nextVsn: number): CompleteTail | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const firstVsn = nextVsn;
    let found: CompleteTail | undefined;
    // Counts of the transaction being read, added to `counts` at its commit.
    let open = new Map<string, TableCounts>();
    const counts = new Map<string, TableCounts>();
    let dataEvents = 0;
    let openEvents = 0;
    /** Takes one line (without its '\n') ending at byte `end`; false: stop reading. */
    const take = (line: string, end: number): boolean => {
      let e: QueueEvent;
      try {
        e = JSON.parse(line) as QueueEvent;
      } catch {
        return false;
      }
      if (e === null || typeof e !== 'object' || e.vsn !== nextVsn) return false;
      nextVsn++;
      if (isDataEvent(e)) {
        const k = JSON.stringify([e.schema, e.table]);
        let t = open.get(k);
        if (!t) open.set(k, (t = { schema: e.schema, table: e.table, c: 0, u: 0, d: 0 }));
        t[e.op]++;
        openEvents++;
        return true;
      }
      if (e.op !== 'commit' || typeof e.pos !== 'string') return false;
      for (const [k, t] of open) {
        const sum = counts.get(k);
        if (sum) (sum.c += t.c), (sum.u += t.u), (sum.d += t.d);
        else counts.set(k, t);
      }
      open = new Map();
      dataEvents += openEvents;
      openEvents = 0;
      found = { end, firstVsn, lastVsn: e.vsn, pos: e.pos, dataEvents, counts: [] };
      return true;
    };
    let pos = from;
    let carry = Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, READ_BYTES, pos);
      if (n === 0) break;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      const dataStart = pos - carry.length;
      pos += n;
      let lineStart = 0;
      for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, lineStart)) {
        if (!take(data.toString('utf8', lineStart, nl), dataStart + nl + 1)) return withCounts(found, counts);
        lineStart = nl + 1;
      }
      carry = Buffer.from(data.subarray(lineStart));
    }
    return withCounts(found, counts);
  } finally {
    fs.closeSync(fd);
  }
}

/** `found` with the counts of its transactions (those read past it, uncommitted, were never added). */
function withCounts(found: CompleteTail | undefined, counts: Map<string, TableCounts>): CompleteTail | undefined {
  return found && { ...found, counts: [...counts.values()] };
}
