/**
 * Replays query results from a fixture file (see query-runner.ts). A query the fixture does not hold is an
 * error naming the missing key: a gap in the fixture is never read as "no rows". LOB values are replayed
 * piece by piece, generated on the fly when the fixture describes them by size and pattern, and the runner
 * counts the LOBs it handed out and the ones closed (tests check that none is left open).
 */
import fs from 'node:fs';
import { InternalError } from '../../infra/errors.js';
import { fixtureKey, type OracleBinds, type OracleFixture, type OracleFixtureValue, type OracleLob, type OracleLobFixture, type OracleLobRow, type OracleQuery, type OracleQueryRunner, type OracleRow } from './query-runner.js';

export class ReplayRunner implements OracleQueryRunner {
  /** Every key asked for, in order (tests check what was read). */
  readonly asked: string[] = [];
  /** LOBs handed out by lobRows, and how many of them were closed. */
  lobsOpened = 0;
  lobsClosed = 0;
  /** Called with each LOB piece just before it is handed out (tests sample memory here). */
  onLobPiece?: (bytes: number) => void;
  constructor(readonly fixture: OracleFixture) {}

  static fromFile(file: string): ReplayRunner {
    return new ReplayRunner(JSON.parse(fs.readFileSync(file, 'utf8')) as OracleFixture);
  }

  private results(key: string): Record<string, OracleFixtureValue>[] {
    this.asked.push(key);
    const rows = this.fixture.queries[key];
    if (!rows) throw new InternalError(`the ${this.fixture.provenance} Oracle fixture has no result for '${key}'`);
    return rows;
  }

  async *rows(q: OracleQuery, binds?: OracleBinds): AsyncIterable<OracleRow> {
    const key = fixtureKey(q.id, binds);
    for (const r of this.results(key)) {
      for (const v of Object.values(r)) if (v !== null && typeof v === 'object') throw new InternalError(`'${key}' holds a LOB value: read it with lobRows`);
      yield r as OracleRow;
    }
  }

  async *lobRows(q: OracleQuery, binds?: OracleBinds): AsyncIterable<OracleLobRow> {
    const lobColumns = q.lobColumns ?? {};
    const key = fixtureKey(q.id, binds);
    for (const r of this.results(key)) {
      const row: Record<string, string | null | OracleLob> = {};
      for (const [k, v] of Object.entries(r)) {
        const type = lobColumns[k];
        if (v !== null && typeof v === 'object' && type !== v.lob) throw new InternalError(`'${key}' holds a ${v.lob.toUpperCase()} in ${k}, which the query fetches ${type ? `as a ${type.toUpperCase()}` : 'as text'}`);
        // A plain string in a LOB column is a one-piece LOB (BLOB: hex).
        row[k] = v === null || !type ? (v as string | null) : this.lob(typeof v === 'string' ? { lob: type, pieces: [v] } : v);
      }
      yield row;
    }
  }

  private lob(f: OracleLobFixture): OracleLob {
    this.lobsOpened++;
    let closed = false;
    const runner = this;
    return {
      type: f.lob,
      async *pieces() {
        for (const p of lobPieces(f)) {
          if (closed) throw new InternalError('a LOB was read after it was closed');
          runner.onLobPiece?.(p.length);
          yield p;
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        runner.lobsClosed++;
      },
    };
  }

  async close(): Promise<void> {}
}

/** The pieces of a fixture LOB; a generated one is produced piece by piece, never whole. */
export function* lobPieces(f: OracleLobFixture): Generator<string | Uint8Array> {
  if ('pieces' in f) {
    for (const p of f.pieces) yield f.lob === 'blob' || f.utf8 ? Buffer.from(p, 'hex') : p;
    return;
  }
  const unit: string | Buffer = f.lob === 'blob' || f.utf8 ? Buffer.from(f.pattern, 'hex') : f.pattern;
  if (unit.length === 0 || f.pieceSize < 1) throw new InternalError('a generated fixture LOB needs a non-empty pattern and a pieceSize of at least 1');
  // A run of whole patterns at least one piece plus one pattern long: every piece is one slice of it.
  const reps = Math.ceil((f.pieceSize + unit.length) / unit.length);
  const run = typeof unit === 'string' ? unit.repeat(reps) : Buffer.concat(Array(reps).fill(unit));
  for (let at = 0; at < f.size; at += f.pieceSize) {
    const from = at % unit.length;
    const len = Math.min(f.pieceSize, f.size - at);
    // Each piece is memory of its own, as a driver's would be: a plain slice of `run` would share its memory,
    // and a reader that kept every piece would then look as small as one that streams.
    yield typeof run === 'string' ? Buffer.from(run.slice(from, from + len), 'utf16le').toString('utf16le') : Buffer.from(run.subarray(from, from + len));
  }
}
