/**
 * COPY … TO STDOUT read straight off the connection's socket into large buffers, for the snapshot's chunk files.
 *
 * The server sends one CopyData message per row. pg-copy-streams' reader turns each into its own Buffer object
 * (and its readable stream concatenates them again), which cost the exporter more CPU than the server spent
 * producing the rows (2 M rows: ~3 s of node CPU, source ~2.5 s, in bench/snapshot-import-bench). Here each
 * message's payload is copied once, in a tight loop, into a 1 MiB buffer that is handed to `sink` when full.
 *
 * The mechanism is pg-copy-streams' own: a query object pg submits, which takes the socket's 'data' listener
 * away from pg's parser while the copy runs and gives it back, with the bytes after CopyDone (CommandComplete,
 * ReadyForQuery) or from an ErrorResponse on, so pg ends the query as usual.
 */
import type net from 'node:net';
import type pg from 'pg';

const OUT_BYTES = 1 << 20;
/** Socket reads pause while this much is handed to the sink and not yet written. */
const MAX_PENDING_BYTES = 4 * OUT_BYTES;

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'

interface PgConnection {
  stream: net.Socket;
  query(text: string): void;
}

type DataListener = (buf: Buffer) => void;

class CopyOutQuery implements pg.Submittable {
  /** Rows, as the server's CommandComplete says. */
  rowCount = 0;
  bytes = 0;
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (e: unknown) => void;
  private settled = false;
  private failure: unknown;

  private socket!: net.Socket;
  private pgListener!: DataListener;
  /** Buffers the sink is done with, used again: a fresh 1 MiB buffer costs a page fault per 4 KiB on first write. */
  private readonly spare: Buffer[] = [];
  private out: Buffer = Buffer.allocUnsafe(OUT_BYTES);
  private outLen = 0;
  /** Bytes of the current message still to come in later reads: copied when it is CopyData, else skipped. */
  private left = 0;
  private leftIsData = false;
  /** The start of a message header cut by a read boundary. */
  private head: Buffer | undefined;
  private writing: Promise<void> = Promise.resolve();
  private pending = 0;
  /** CopyData messages seen, and how many of them were reported with a piece (one message is one row). */
  private messages = 0;
  private reported = 0;

  constructor(
    readonly text: string,
    private readonly sink: (buf: Buffer, messages: number) => Promise<void>,
  ) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.done.catch(() => undefined);
  }

  /** Called by pg when the query's turn comes. */
  submit(c: pg.Connection): void {
    const connection = c as unknown as PgConnection;
    this.socket = connection.stream;
    const listeners = this.socket.listeners('data') as DataListener[];
    if (listeners.length !== 1) throw new Error(`COPY out expects one data listener on the connection, found ${listeners.length}`);
    this.pgListener = listeners[0];
    this.socket.removeListener('data', this.pgListener);
    this.socket.on('data', this.onData);
    connection.query(this.text);
  }

  /** Stop early (the caller then closes the connection): what arrives from now on is dropped. */
  abort(reason: unknown): void {
    this.fail(reason);
  }

  private readonly onData = (chunk: Buffer): void => {
    let buf = chunk;
    if (this.head) {
      buf = Buffer.concat([this.head, chunk]);
      this.head = undefined;
    }
    let i = 0;
    if (this.left > 0) {
      const n = Math.min(this.left, buf.length);
      if (this.leftIsData) this.put(buf, 0, n);
      this.left -= n;
      i = n;
    }
    while (i < buf.length) {
      if (buf.length - i < 5) {
        this.head = Buffer.from(buf.subarray(i));
        return;
      }
      const code = buf[i];
      const len = buf.readUInt32BE(i + 1) - 4;
      if (code === COPY_DONE || code === ERROR_RESPONSE) {
        this.giveBack(buf.subarray(code === COPY_DONE ? i + 5 : i));
        return;
      }
      // CopyData, or what may come between: CopyOutResponse, notices, parameter status, notifications.
      const start = i + 5;
      const n = Math.min(len, buf.length - start);
      if (code === COPY_DATA) {
        this.messages++;
        this.put(buf, start, start + n);
      }
      i = start + n;
      if (n < len) {
        this.left = len - n;
        this.leftIsData = code === COPY_DATA;
      }
    }
  };

  private put(buf: Buffer, from: number, to: number): void {
    if (this.failure !== undefined) return;
    let at = from;
    while (at < to) {
      const n = Math.min(to - at, OUT_BYTES - this.outLen);
      buf.copy(this.out, this.outLen, at, at + n);
      this.outLen += n;
      at += n;
      if (this.outLen === OUT_BYTES) this.flush();
    }
  }

  /** Hand the filled part of the buffer to the sink, in order; reads pause while too much waits. */
  private flush(): void {
    if (!this.outLen || this.failure !== undefined) return;
    const full = this.out;
    const piece = full.subarray(0, this.outLen);
    this.out = this.spare.pop() ?? Buffer.allocUnsafe(OUT_BYTES); // the sink may still hold the old one
    this.outLen = 0;
    const messages = this.messages - this.reported;
    this.reported = this.messages;
    this.bytes += piece.length;
    this.pending += piece.length;
    if (this.pending > MAX_PENDING_BYTES) this.socket.pause();
    this.writing = this.writing.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.sink(piece, messages);
        this.spare.push(full);
      } catch (e) {
        this.fail(e);
      }
      this.pending -= piece.length;
      if (this.pending <= MAX_PENDING_BYTES && this.socket.isPaused()) this.socket.resume();
    });
  }

  /** The copy is over: the rest of the bytes are pg's again. */
  private giveBack(rest: Buffer): void {
    this.flush();
    this.socket.removeListener('data', this.onData);
    this.socket.on('data', this.pgListener);
    if (this.socket.isPaused()) this.socket.resume();
    if (rest.length) this.pgListener(rest);
  }

  private fail(e: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    if (this.socket?.isPaused()) this.socket.resume(); // keep draining: nothing waits on the sink any more
    this.settle(e);
  }

  private settle(e?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    if (e !== undefined) this.reject(e);
    else this.resolve();
  }

  // pg calls these on the active query.
  handleCommandComplete(msg: { text?: string }): void {
    const m = /COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }

  handleReadyForQuery(): void {
    void this.writing.then(() => this.settle(this.failure));
  }

  handleError(e: unknown): void {
    void this.writing.then(() => this.settle(this.failure ?? e));
  }

  // pg may call these for messages the copy does not expect; nothing to do.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}
  callback(): void {}
}

/**
 * Run `sql` (a COPY … TO STDOUT) on `client`, handing the output to `sink` in pieces of up to 1 MiB, in order,
 * one at a time (the next read waits while several wait for the sink), with the number of CopyData messages the
 * piece completes or starts (the server sends one per row; binary COPY one more, for the trailer: for progress).
 * A piece's memory is used again once the sink's promise resolves: the sink must not keep it. Resolves with the
 * server's row count once every piece is through the sink; rejects with the server's error, the sink's, or `signal`'s reason
 * (after a rejection the connection is not usable: close it).
 */
export async function copyOut(client: pg.Client, sql: string, sink: (buf: Buffer, messages: number) => Promise<void>, signal?: AbortSignal): Promise<{ rows: number; bytes: number }> {
  const q = new CopyOutQuery(sql, sink);
  const onAbort = () => q.abort(signal?.reason ?? new Error('aborted'));
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    client.query(q);
    await q.done;
    return { rows: q.rowCount, bytes: q.bytes };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
