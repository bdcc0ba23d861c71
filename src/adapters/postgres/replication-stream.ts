/**
 * A logical replication stream from a PostgreSQL slot (pgoutput, protocol version 1) over the CopyBoth
 * sub-protocol: https://www.postgresql.org/docs/15/protocol-replication.html
 *
 * The one rule that makes the stream safe: the position we confirm to the server (standby status update,
 * write = flush = apply) is only ever what the caller said is durable (`confirm()`), never what we merely
 * received. (pg-logical-replication acks the last received LSN on a timer, which loses data on a crash.)
 *
 * Backpressure is structural: `onData` runs synchronously for each message, and the socket is read only as
 * fast as the handlers return, so a slow disk slows the server down instead of filling memory.
 */
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { ConnSecret, ConnSettings } from '../../core/connection.js';
import { connect, quoteIdent } from './connection.js';
import { DbError } from '../../infra/errors.js';
import type { Logger } from '../../infra/logger.js';
import { withRetry, type RetryPolicy } from '../../infra/retry.js';
import { formatLsn, nowAsPgTimestamp } from './lsn.js';
import { coalesceReads } from './read-coalescing.js';
import { socketOf } from './pg-socket.js';
import { COPY_TEXT_SESSION_SETTINGS } from '../../core/copy-text.js';

/** pg-copy-streams@7 has `both` (CopyBoth duplex); its type definitions do not declare it. */
type CopyBothStream = Duplex & pg.Submittable;
const copyBoth = (copyStreams as unknown as { both(text: string, options?: object): CopyBothStream }).both;

export interface ReplicationStreamOptions {
  slot: string;
  publication: string;
  /**
   * Ask the server to start here; 0n (or anything earlier than the slot's confirmed_flush_lsn) means "from
   * the slot's confirmed position".
   */
  startLsn: bigint;
  /** What is already durable on our side: the position our status updates report until confirm() moves it. */
  confirmedLsn: bigint;
  log: Logger;
  /** The database streamed from, for messages: 'source', or 'target' for the fall-back stream. */
  side?: 'source' | 'target';
  /** Standby status updates at least this often, so wal_sender_timeout never drops us. */
  statusIntervalMs?: number;
  /** How long to wait for a slot still held by a previous (killed) walsender. */
  slotBusyTimeoutMs?: number;
  applicationName?: string;
  /** How long what the stream delivers may wait without delaying anything (read-coalescing.ts). */
  msUntilNeeded?: () => number;
}

export interface ReplicationHandlers {
  /**
   * One pgoutput message: the XLogData payload, which starts at `offset` in `frame`. Synchronous: nothing
   * more is read until it returns.
   */
  onData(frame: Buffer, offset: number): void;
  /** Primary keepalive: the server has sent every transaction that committed before `walEnd`. */
  onKeepalive(walEnd: bigint): void;
}

export class ReplicationStream {
  private durable: bigint;
  private lastStatusAt = 0;
  private closing = false;
  private timer: NodeJS.Timeout | undefined;
  /** Stops the read coalescing (read-coalescing.ts) once the stream is over. */
  private uncoalesce: () => void = () => undefined;
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  /** Settles when the stream ends: resolves after close(), rejects on any server or connection error. */
  readonly done: Promise<void>;

  private constructor(
    private readonly client: pg.Client,
    private readonly stream: CopyBothStream,
    private readonly o: ReplicationStreamOptions,
  ) {
    this.durable = o.confirmedLsn;
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined); // observed by the caller; never an unhandled rejection
  }

  /** Open a replication connection and start streaming from the slot. */
  static async open(settings: ConnSettings, secret: ConnSecret, o: ReplicationStreamOptions, handlers: ReplicationHandlers): Promise<ReplicationStream> {
    // After a crash the old walsender may hold the slot until it notices its client is gone (55006).
    const policy: RetryPolicy = { maxAttempts: Infinity, budgetMs: o.slotBusyTimeoutMs ?? 60_000, baseDelayMs: 200, capDelayMs: 2000, jitter: 0 };
    try {
      return await withRetry(async () => {
        // The walsender renders values with its session settings: pin them to those of the snapshot copy so a
        // server default (DateStyle, TimeZone, lc_monetary…) can never change a value on the way.
        const client = await connect(settings, secret, {
          replication: 'database',
          applicationName: o.applicationName ?? 'yb-voyager change export',
          sessionSetup: COPY_TEXT_SESSION_SETTINGS,
        });
        try {
          return await ReplicationStream.start(client, o, handlers);
        } catch (e) {
          // Bounded, then destroyed: a connection whose end never comes must not hold the process (nothing
          // else may be left to keep it alive, and Node would exit with status 0).
          await bounded(client.end().catch(() => undefined), 2000);
          socketOf(client)?.destroy();
          throw e;
        }
      }, {
        policy,
        retryable: (e) => (e as { code?: string }).code === '55006',
        onRetry: (ev) => o.log.info(`replication slot ${o.slot} is still active (previous run?); retrying`, { attempt: ev.attempt }),
      });
    } catch (e) {
      throw mapStreamError(e, o);
    }
  }

  private static start(client: pg.Client, o: ReplicationStreamOptions, handlers: ReplicationHandlers): Promise<ReplicationStream> {
    const sql =
      `START_REPLICATION SLOT ${quoteIdent(o.slot)} LOGICAL ${formatLsn(o.startLsn)} ` +
      `(proto_version '1', publication_names '${quoteIdent(o.publication).replace(/'/g, "''")}')`;
    o.log.info('starting replication', { sql });
    // One pushed chunk per CopyData message (object mode keeps them apart). Room for 1024 of them (a few
    // socket reads' worth): with 64 the stream stopped and restarted reading around every socket chunk,
    // which cost the exporter ~5% CPU in cdc-bench. Still bounded: backpressure stays structural.
    const stream = copyBoth(sql, { alignOnCopyDataFrame: true, readableObjectMode: true, readableHighWaterMark: 1024 });
    const rs = new ReplicationStream(client, stream, o);
    return new Promise<ReplicationStream>((resolve, reject) => {
      let started = false;
      let uncoalesce = () => undefined as void;
      // Until the server answers, this timer is what keeps the process alive and what ends a wait that no
      // event would end.
      const startup = setTimeout(() => fail(new DbError('connect', `the ${o.side ?? 'source'} server did not start the replication stream within ${STARTUP_TIMEOUT_MS / 1000} s`, 'rerun the command; it resumes from the last durable position')), STARTUP_TIMEOUT_MS);
      const fail = (e: unknown) => {
        clearTimeout(startup);
        if (!started) {
          uncoalesce();
          return reject(e);
        }
        rs.fail(e);
      };
      stream.on('error', fail);
      client.on('error', fail);
      client.on('end', () => fail(new DbError('connect', `the ${o.side ?? 'source'} server closed the replication connection`, 'rerun the command; it resumes from the last durable position')));
      stream.on('end', () => {
        if (rs.closing) rs.settle.resolve();
        else fail(new DbError('connect', `the ${o.side ?? 'source'} server ended the replication stream`, 'rerun the command; it resumes from the last durable position'));
      });
      stream.on('data', (chunk: Buffer) => {
        if (rs.closing) return;
        try {
          rs.onMessage(chunk, handlers);
        } catch (e) {
          rs.fail(e);
        }
      });
      client.query(stream);
      uncoalesce = rs.uncoalesce = coalesceReads(client, o.log, o.msUntilNeeded);
      // The write side is corked until the server answers CopyBothResponse: this callback says we are streaming.
      stream.write(rs.statusMessage(false), (err) => {
        if (err) return fail(err);
        clearTimeout(startup);
        started = true;
        rs.lastStatusAt = Date.now();
        rs.timer = setInterval(() => rs.sendStatus(), o.statusIntervalMs ?? 10_000);
        resolve(rs);
      });
    });
  }

  private onMessage(chunk: Buffer, handlers: ReplicationHandlers): void {
    const type = chunk[0];
    if (type === 0x77) {
      // 'w' XLogData: walStart(8) walEnd(8) sendTime(8) payload
      handlers.onData(chunk, 25);
    } else if (type === 0x6b) {
      // 'k' primary keepalive: walEnd(8) sendTime(8) replyRequested(1)
      const walEnd = chunk.readBigUInt64BE(1);
      handlers.onKeepalive(walEnd);
      if (chunk[17] === 1) this.sendStatus();
    } else {
      this.o.log.debug('ignored replication message', { type: String.fromCharCode(type) });
    }
  }

  /** The caller made everything up to `lsn` durable: the server may now forget it. */
  confirm(lsn: bigint): void {
    if (lsn <= this.durable) return;
    this.durable = lsn;
    // Timely but not per transaction: WAL is recycled soon enough at one update per second.
    if (Date.now() - this.lastStatusAt >= 1000) this.sendStatus();
  }

  private statusMessage(replyRequested: boolean): Buffer {
    const b = Buffer.alloc(34);
    b[0] = 0x72; // 'r'
    b.writeBigUInt64BE(this.durable, 1); // written
    b.writeBigUInt64BE(this.durable, 9); // flushed
    b.writeBigUInt64BE(this.durable, 17); // applied
    b.writeBigInt64BE(nowAsPgTimestamp(), 25);
    b[33] = replyRequested ? 1 : 0;
    return b;
  }

  sendStatus(): void {
    if (this.closing || this.stream.destroyed) return;
    this.lastStatusAt = Date.now();
    this.stream.write(this.statusMessage(false));
  }

  private fail(e: unknown): void {
    if (this.closing) return;
    this.closing = true;
    this.uncoalesce();
    if (this.timer) clearInterval(this.timer);
    this.settle.reject(mapStreamError(e, this.o));
    this.stream.destroy();
    this.client.end().catch(() => undefined);
  }

  /** Confirm the durable position one last time and disconnect. */
  async close(): Promise<void> {
    if (this.closing) return this.done.catch(() => undefined);
    if (this.timer) clearInterval(this.timer);
    this.sendStatus();
    this.closing = true;
    this.uncoalesce();
    // The server reads our status update before it sees the connection end.
    const written = new Promise<void>((resolve) => (this.stream.writableLength === 0 ? resolve() : this.stream.once('drain', () => resolve())));
    await bounded(written, 2000); // a dead socket never drains
    await bounded(this.client.end().catch(() => undefined), 5000);
    this.stream.destroy();
    this.settle.resolve();
  }
}

/** START_REPLICATION answers at once (the decoding context exists with the slot): a minute is a lost connection. */
const STARTUP_TIMEOUT_MS = 60_000;

/** Wait for `p`, but no longer than `ms` (and leave no timer behind). */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function mapStreamError(e: unknown, o: ReplicationStreamOptions): unknown {
  if (e instanceof DbError) return e;
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  switch (err.code) {
    case '42704':
      return new DbError('not-found', `replication slot ${o.slot} does not exist on the ${o.side ?? 'source'}`, 'the slot was dropped (end migration, or by hand); changes since then are lost: start the migration again with a new export dir', err.code, e);
    case '55006':
      return new DbError('conflict', `replication slot ${o.slot} is in use by another process: ${msg}`, `stop the other export data from ${o.side ?? 'source'} process (or wait for it to exit) and rerun`, err.code, e);
    case '55000':
      return new DbError('config', `cannot stream from replication slot ${o.slot}: ${msg}`, `check the slot on the ${o.side ?? 'source'} (pg_replication_slots); if it is invalidated (max_slot_wal_keep_size), start the migration again`, err.code, e);
    case '42501':
      return new DbError('privilege', `permission denied while streaming changes: ${msg}`, 'grant the REPLICATION attribute to the migration user: ALTER ROLE <user> REPLICATION', err.code, e);
  }
  if (/publication .* does not exist/i.test(msg)) {
    return new DbError('not-found', `publication ${o.publication} does not exist on the ${o.side ?? 'source'}`, 'the publication was dropped; start the migration again with a new export dir', err.code, e);
  }
  if (err.code && /^(08|57P)/.test(err.code)) return new DbError('connect', `lost the replication connection: ${msg}`, 'rerun the command; it resumes from the last durable position', err.code, e);
  return e instanceof Error && 'kind' in e ? e : new DbError('connect', `replication stream failed: ${msg}`, 'rerun the command; it resumes from the last durable position', err.code, e);
}

/** WAL the slot keeps on the source (bytes between the current WAL position and the slot's restart_lsn). */
export async function slotRetainedWal(client: pg.Client, slot: string): Promise<{ retainedBytes: number; active: boolean; confirmedFlush: string | null } | undefined> {
  const r = await client.query(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained, active, confirmed_flush_lsn::text AS confirmed
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  if (!r.rows.length) return undefined;
  return { retainedBytes: Number(r.rows[0].retained ?? 0), active: r.rows[0].active === true || r.rows[0].active === 't', confirmedFlush: r.rows[0].confirmed };
}
