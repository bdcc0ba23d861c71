/**
 * The live query runner: node-oracledb in thin mode (pure JavaScript, no Oracle client libraries). Every
 * column is fetched as text — NUMBER as the exact decimal string thin mode decodes (never a JS number),
 * dates under the explicit session formats below (the snapshot's select lists add their own TO_CHAR masks),
 * CLOB/NCLOB/LONG as strings, RAW/LONG RAW/BLOB as bytes turned into hex — so nothing reaches our code as a
 * lossy JavaScript value. `lobRows` fetches a query's LOB columns as locators instead (the driver's Lob, a
 * Readable) and reads each in pieces of about LOB_PIECE_BYTES. Unverified against a real server: see
 * docs/oracle.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import oracledb from 'oracledb';
import type { Conn } from '../../core/connection.js';
import { UserError } from '../../infra/errors.js';
import type { Logger } from '../../infra/logger.js';
import { oracleConnectTarget, WALLET_FIX, walletProblem } from './connect-target.js';
import { mapConnectError, mapQueryError } from './errors.js';
import type { OracleBinds, OracleLob, OracleLobRow, OracleQuery, OracleQueryRunner, OracleRow } from './query-runner.js';

/**
 * Session settings: decimal point '.', fixed date and timestamp formats, UTC session time zone (so a
 * TIMESTAMP WITH LOCAL TIME ZONE reads as UTC). Thin mode ignores every NLS_* environment variable.
 */
export const SESSION_SETUP: readonly string[] = [
  "ALTER SESSION SET NLS_NUMERIC_CHARACTERS = '.,'",
  "ALTER SESSION SET NLS_DATE_FORMAT = 'SYYYY-MM-DD HH24:MI:SS'",
  "ALTER SESSION SET NLS_TIMESTAMP_FORMAT = 'SYYYY-MM-DD HH24:MI:SS.FF9'",
  "ALTER SESSION SET NLS_TIMESTAMP_TZ_FORMAT = 'SYYYY-MM-DD HH24:MI:SS.FF9 TZH:TZM'",
  "ALTER SESSION SET TIME_ZONE = '+00:00'",
];

const BINARY_TYPES = new Set<unknown>([oracledb.DB_TYPE_RAW, oracledb.DB_TYPE_LONG_RAW, oracledb.DB_TYPE_BLOB]);

function fetchAsText(meta: oracledb.Metadata<unknown>): oracledb.FetchTypeResponse {
  if (BINARY_TYPES.has(meta.dbType)) {
    return { type: oracledb.DB_TYPE_RAW, converter: (v: unknown) => (v == null ? null : (v as Buffer).toString('hex')) } as oracledb.FetchTypeResponse;
  }
  return { type: oracledb.DB_TYPE_VARCHAR };
}

/** The driver's Lob class (exported at run time, not in its typings). */
const DriverLob = (oracledb as unknown as { Lob: new () => oracledb.Lob }).Lob;

/** The amount read per LOB round trip: a whole number of the LOB's chunks, about 1 MiB (CLOB: characters). */
export const LOB_PIECE_BYTES = 1 << 20;

/** Lob pieceSize for a LOB whose chunk size is `chunk`: the largest multiple of it not above LOB_PIECE_BYTES. */
export function lobPieceSize(chunk: number | undefined): number {
  return chunk && chunk > 0 ? chunk * Math.max(1, Math.floor(LOB_PIECE_BYTES / chunk)) : LOB_PIECE_BYTES;
}

/**
 * The driver's Lob as an OracleLob: a CLOB is read as strings (setEncoding keeps the driver's strings as
 * they are; without it Node would re-encode each piece to UTF-8 and corrupt a surrogate pair split between
 * pieces), a BLOB as Buffers. close() destroys the Lob, which closes its locator.
 */
export function driverLob(lob: oracledb.Lob, what: string): OracleLob {
  const type = lob.type === oracledb.DB_TYPE_BLOB ? 'blob' : 'clob';
  lob.on('error', () => undefined); // read errors reach pieces() through the iterator; close errors are moot
  // The driver's _read is async and rethrows a read error after (only for auto-closed LOBs) destroying the
  // stream: the stream machinery drops that promise, so the error would end the process as an unhandled
  // rejection instead of reaching pieces(). Route it into the stream, whichever way the LOB was set up.
  const driverRead = (lob as unknown as { _read(n: number): Promise<void> })._read.bind(lob);
  (lob as unknown as { _read(n: number): void })._read = (n) => void driverRead(n).catch((e: Error) => lob.destroy(e));
  return {
    type,
    async *pieces() {
      lob.pieceSize = lobPieceSize(lob.chunkSize);
      if (type === 'clob') lob.setEncoding('utf8');
      try {
        for await (const p of lob) yield p as string | Buffer;
      } catch (e) {
        throw mapQueryError(e, what);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (lob.closed) return resolve();
        lob.once('close', () => resolve());
        lob.destroy();
      }),
  };
}

/** A wallet thin mode would fail on (NJS-505, which names no cause) is refused before connecting, saying why. */
function assertUsableWallet(dir: string): void {
  const file = path.join(dir, 'ewallet.pem');
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const why = fs.existsSync(dir) && !fs.statSync(dir).isDirectory() ? `${dir} is a file, not a wallet directory (thin mode reads <dir>/ewallet.pem)` : `${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
    throw new UserError(`--source-ssl-root-cert: ${why}`, WALLET_FIX, 'config');
  }
  const problem = walletProblem(pem);
  if (problem) throw new UserError(`--source-ssl-root-cert: the Oracle wallet ${file} ${problem}`, WALLET_FIX, 'config');
}

/** Open a thin-mode session: the log says which of alias / service name / SID was used. */
export async function openConnection(c: Conn, log?: Logger): Promise<oracledb.Connection> {
  const target = oracleConnectTarget(c.settings, { TNS_ADMIN: process.env.TNS_ADMIN });
  log?.info(target.logLine);
  if (target.walletLocation) assertUsableWallet(target.walletLocation);
  let conn: oracledb.Connection;
  try {
    conn = await oracledb.getConnection({
      user: c.settings.user,
      password: c.secret.password,
      connectString: target.connectString,
      ...(target.configDir ? { configDir: target.configDir } : {}),
      ...(target.walletLocation ? { walletLocation: target.walletLocation } : {}),
      connectTimeout: 30,
    });
  } catch (e) {
    throw mapConnectError(e, c.settings, target.named);
  }
  try {
    for (const sql of SESSION_SETUP) await conn.execute(sql);
  } catch (e) {
    await conn.close().catch(() => undefined);
    throw mapQueryError(e, 'setting up the Oracle session');
  }
  return conn;
}

export class LiveRunner implements OracleQueryRunner {
  private constructor(private readonly conn: oracledb.Connection) {}

  static async open(c: Conn, log?: Logger): Promise<LiveRunner> {
    return new LiveRunner(await openConnection(c, log));
  }

  async *rows(q: OracleQuery, binds: OracleBinds = {}): AsyncIterable<OracleRow> {
    const stream = this.conn.queryStream<Record<string, string | null>>(q.sql, { ...binds }, {
      outFormat: oracledb.OUT_FORMAT_OBJECT,
      fetchArraySize: 1000,
      prefetchRows: 1000,
      fetchTypeHandler: fetchAsText,
    });
    try {
      for await (const row of stream) yield row as OracleRow;
    } catch (e) {
      throw mapQueryError(e, `Oracle query ${q.id}`);
    } finally {
      stream.destroy();
    }
  }

  async *lobRows(q: OracleQuery, binds: OracleBinds = {}): AsyncIterable<OracleLobRow> {
    const lobColumns = q.lobColumns ?? {};
    const stream = this.conn.queryStream<Record<string, unknown>>(q.sql, { ...binds }, {
      outFormat: oracledb.OUT_FORMAT_OBJECT,
      fetchArraySize: 1000,
      prefetchRows: 1000,
      // LOB columns: undefined keeps the driver's default, a Lob locator (oracledb.fetchAsString is never set).
      fetchTypeHandler: (meta) => (meta.name in lobColumns ? undefined : fetchAsText(meta)),
    });
    try {
      for await (const row of stream) {
        const out: Record<string, string | null | OracleLob> = {};
        for (const [k, v] of Object.entries(row)) out[k] = v instanceof DriverLob ? driverLob(v, `reading a LOB of Oracle query ${q.id}`) : (v as string | null);
        yield out;
      }
    } catch (e) {
      throw mapQueryError(e, `Oracle query ${q.id}`);
    } finally {
      stream.destroy();
    }
  }

  async close(): Promise<void> {
    await this.conn.close().catch(() => undefined);
  }
}
