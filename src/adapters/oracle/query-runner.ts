/**
 * The seam between the Oracle engine and a database: every dictionary query and snapshot read goes through
 * an OracleQueryRunner, which returns every value as text (NUMBER as its exact decimal string, dates through
 * explicit masks, RAW and BLOB as hex). Three runners share it:
 *  - live-runner.ts: node-oracledb in thin mode (no Oracle client libraries);
 *  - replay-runner.ts: rows recorded in a JSON fixture (tests; no Oracle server runs here);
 *  - CapturingRunner below: a live runner that also records what it returned, so anyone with an Oracle can
 *    turn the synthetic fixtures into recorded ones (export schema --oracle-capture-catalog <file>).
 * A query has a stable id: fixtures are keyed by id and binds, never by SQL text, so rewording a query keeps
 * its fixtures.
 * LOB columns of a snapshot read are not fetched as text: `lobRows` returns each CLOB/NCLOB/BLOB value as an
 * OracleLob, read piece by piece and closed by the caller, so a LOB of any size never sits in memory whole.
 */
import fs from 'node:fs';

export interface OracleQuery {
  /** Stable key of the query in fixtures: 'catalog.columns', 'snapshot.rows'. */
  readonly id: string;
  readonly sql: string;
  /** Columns (result names) that `lobRows` returns as OracleLob values, with their LOB type. */
  readonly lobColumns?: Readonly<Record<string, 'clob' | 'blob'>>;
}

export type OracleBinds = Readonly<Record<string, string>>;

/** A row: upper-case column names as Oracle returns them; SQL NULL (and Oracle's '') as null. */
export type OracleRow = Readonly<Record<string, string | null>>;

/**
 * One LOB value, read in pieces. CLOB/NCLOB pieces are text: JavaScript strings (the driver's; a piece may end
 * between the two halves of a surrogate pair) or UTF-8 bytes (a piece may end inside a character). BLOB
 * pieces are bytes. `close` frees the locator; it is safe to call twice and after a failed read.
 */
export interface OracleLob {
  readonly type: 'clob' | 'blob';
  pieces(): AsyncIterable<string | Uint8Array>;
  close(): Promise<void>;
}

/** A row of a LOB query: the query's lobColumns hold an OracleLob (or null), the other columns text. */
export type OracleLobRow = Readonly<Record<string, string | null | OracleLob>>;

export interface OracleQueryRunner {
  rows(q: OracleQuery, binds?: OracleBinds): AsyncIterable<OracleRow>;
  /** Like rows, but `q.lobColumns` come as LOB locators; the caller closes every OracleLob it receives. */
  lobRows(q: OracleQuery, binds?: OracleBinds): AsyncIterable<OracleLobRow>;
  close(): Promise<void>;
}

export async function allRows(r: OracleQueryRunner, q: OracleQuery, binds?: OracleBinds): Promise<OracleRow[]> {
  const out: OracleRow[] = [];
  for await (const row of r.rows(q, binds)) out.push(row);
  return out;
}

/** The fixture key of a query run: its id, then its binds in name order. */
export function fixtureKey(id: string, binds: OracleBinds = {}): string {
  const names = Object.keys(binds).sort();
  return names.length ? `${id} ${names.map((n) => `${n}=${binds[n]}`).join(' ')}` : id;
}

/**
 * A LOB value in a fixture: its pieces (CLOB: strings; BLOB: hex), or a generator — `size` UTF-16 code units
 * (CLOB) or bytes (BLOB) of `pattern` (BLOB: hex) repeated, cut into pieces of `pieceSize` — so a test can
 * stream a LOB of any size without a file that size. `utf8: true` makes a CLOB's pieces UTF-8 bytes, cut
 * anywhere in a character (its pieces and pattern are then given as hex, its size and pieceSize in bytes).
 */
export type OracleLobFixture =
  | { lob: 'clob' | 'blob'; pieces: string[]; utf8?: boolean }
  | { lob: 'clob' | 'blob'; size: number; pattern: string; pieceSize: number; utf8?: boolean };

export type OracleFixtureValue = string | null | OracleLobFixture;

/** A file of recorded (or hand-written) query results. */
export interface OracleFixture {
  /** 'synthetic': written by hand from Oracle's documented view semantics; 'recorded': captured from a server. */
  provenance: 'synthetic' | 'recorded';
  description: string;
  /** The server's version banner (recorded fixtures). */
  server?: string;
  capturedAt?: string;
  queries: Record<string, Record<string, OracleFixtureValue>[]>;
}

/** Wraps a live runner and records every result; `save()` writes the fixture. */
export class CapturingRunner implements OracleQueryRunner {
  private readonly recorded: Record<string, Record<string, string | null>[]> = {};
  constructor(
    private readonly inner: OracleQueryRunner,
    private readonly file: string,
    private readonly description: string,
  ) {}

  async *rows(q: OracleQuery, binds?: OracleBinds): AsyncIterable<OracleRow> {
    const list: Record<string, string | null>[] = [];
    this.recorded[fixtureKey(q.id, binds)] = list;
    for await (const row of this.inner.rows(q, binds)) {
      list.push({ ...row });
      yield row;
    }
  }

  /** LOB reads are passed through unrecorded: capture records catalog queries, which hold no LOBs. */
  lobRows(q: OracleQuery, binds?: OracleBinds): AsyncIterable<OracleLobRow> {
    return this.inner.lobRows(q, binds);
  }

  /** Write the fixture (server: the version banner read during the run). */
  save(server: string | undefined): void {
    const fixture: OracleFixture = { provenance: 'recorded', description: this.description, server, capturedAt: new Date().toISOString(), queries: this.recorded };
    fs.writeFileSync(this.file, JSON.stringify(fixture, null, 1) + '\n');
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
