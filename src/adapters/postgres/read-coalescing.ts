/**
 * Read coalescing for a replication connection.
 *
 * The walsender sends every message as its own packet as soon as the socket takes it. A reader that keeps
 * up is woken for each one: a read syscall and a wakeup per message on our side, and on loopback or a fast
 * network the sender pays for each wakeup too. Measured in export-changes-bench (TCP, 600k row changes):
 * exporter CPU 5.5 s (1.4 s system) and walsender CPU 5.6 s reading eagerly; 2.5 s (0.2 s system) and 2.9 s
 * when the socket is left alone for 1 ms after a read of less than 32 KiB, so the next read takes many
 * messages at once; with 128 KiB (a pause after nearly every read under a small-transaction backlog),
 * exporter 0.95 s and walsender 1.7 s, and 600k events export in ~1.9 s instead of ~4 s. A busy stream is
 * now left alone longer (pauseAfterRead). A slow stream is left alone until just before the queue's next
 * commit is due (what is read earlier waits for that commit anyway), so it costs no latency; a busy one 5 ms at
 * most: below the queue's group commit interval.
 *
 * Node has no public API to stop reading a socket that is consumed through 'readable' (pg-copy-streams does
 * that), so this uses the handle's readStop()/readStart(), as Node's own net and http code do; where the
 * handle does not offer them the connection simply reads eagerly.
 */
import type pg from 'pg';
import type { Logger } from '../../infra/logger.js';
import { socketOf } from './pg-socket.js';

interface ReadHandle {
  reading: boolean;
  readStop(): number;
  readStart(): number;
}

/**
 * Node reads a socket 64 KiB at a time, and each read reaches us on its own. A read that filled the whole
 * buffer means the kernel may hold more: the sender is ahead, read on at once. The threshold was 512 KiB,
 * which no single read reaches, so a backlog streamed at most 64 KiB per pause: the exporter alone took
 * 3.23 s for 100 k 3-row transactions, the walsender idle most of the time; 1.51 s reading on after full
 * reads, for the same CPU on both sides (export-changes-bench). cdc-bench catch-up, 200 k transactions:
 * narrow 7.24 s against 7.71 s, wide 8.35 s against 12.29 s.
 */
const FULL_READ_BYTES = 64 << 10;
/** Below this the stream is slow (a few messages per millisecond): a short pause, for the latency's sake. */
const BUSY_READ_BYTES = 32 << 10;
const SHORT_PAUSE_MS = 1;
/**
 * A slow stream is read again this long before the queue's next commit is due, so what arrived meanwhile is in
 * it; never later than MAX_SLOW_PAUSE_MS. At a steady 1 000 tx/s (cdc-bench --shape wide --rate 1000, the queue
 * committing every 10 ms) reading every 1 ms woke the exporter for nearly every transaction: ~120 µs of its CPU
 * per source transaction.
 */
const COMMIT_MARGIN_MS = 1;
const MAX_SLOW_PAUSE_MS = 10;
/**
 * A busy stream (a backlog) is left alone longer: long enough for the unread bytes to fill the TCP window, so
 * the sender's writes stop going out one small packet each and wait to leave together. Measured
 * (export-changes-bench, 100 k 3-row transactions, three rounds interleaved): walsender CPU 2.38–2.49 s and
 * exporter CPU 1.06–1.31 s against 3.38–3.70 s and 1.28–1.56 s with 1 ms after every read under 128 KiB, for
 * the same time; 12 ms pauses stalled the sender (6.7 s instead of 3.6).
 */
const LONG_PAUSE_MS = 5;

/**
 * How long to leave the socket alone after a read of `bytes`; 0: not at all. `msUntilNeeded`: how long what is
 * read may wait without delaying anything (the time until the queue's next commit is due).
 */
export function pauseAfterRead(bytes: number, msUntilNeeded = 0): number {
  if (bytes >= FULL_READ_BYTES) return 0;
  if (bytes >= BUSY_READ_BYTES) return LONG_PAUSE_MS;
  return Math.min(MAX_SLOW_PAUSE_MS, Math.max(SHORT_PAUSE_MS, Math.floor(msUntilNeeded) - COMMIT_MARGIN_MS));
}

/**
 * Returns a function that stops it: the 'readable' listener must go when the copy stream lets go of the socket,
 * or the socket stays in paused mode and pg's own reader (a 'data' listener) never sees another byte.
 */
export function coalesceReads(client: pg.Client, log: Logger, msUntilNeeded: () => number = () => 0): () => void {
  const socket = socketOf(client);
  const handleOf = () => (socket as unknown as { _handle?: Partial<ReadHandle> } | undefined)?._handle;
  const h = handleOf();
  if (!socket || typeof h?.readStop !== 'function' || typeof h.readStart !== 'function') {
    log.debug('replication reads are not coalesced (socket handle without readStop/readStart)');
    return () => undefined;
  }
  let lastBytes = socket.bytesRead;
  let paused = false;
  const onReadable = () => {
    // Checked once every 'readable' listener has run: the stream consuming the socket has taken its data.
    process.nextTick(() => {
      const read = socket.bytesRead - lastBytes;
      lastBytes = socket.bytesRead;
      const handle = handleOf() as ReadHandle | undefined;
      const pauseMs = pauseAfterRead(read, msUntilNeeded());
      if (paused || !pauseMs || socket.readableLength > 0 || !handle?.reading || socket.destroyed) return;
      paused = true;
      handle.reading = false;
      handle.readStop();
      setTimeout(() => {
        paused = false;
        const again = handleOf() as ReadHandle | undefined;
        if (again && !again.reading && !socket.destroyed) {
          again.reading = true;
          again.readStart();
        }
      }, pauseMs);
    });
  };
  socket.on('readable', onReadable);
  return () => {
    socket.off('readable', onReadable);
    const handle = handleOf() as ReadHandle | undefined;
    if (paused && handle && !handle.reading && !socket.destroyed) {
      handle.reading = true;
      handle.readStart();
    }
  };
}
