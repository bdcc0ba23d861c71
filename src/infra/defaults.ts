/**
 * Every tunable number of the tool that is not a command-line flag, with the environment variable that
 * overrides it (for tests and tuning) and the reason for its default. Flags and their defaults live in the
 * option schema (src/cli/option-spec.ts); retry policies in retry.ts.
 */

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) ? n : fallback;
}

export const DEFAULTS = {
  /** Tables bigger than this are split into several chunk files, so one table can use several workers. */
  snapshotChunkBytes: envNumber('YB_VOYAGER_SNAPSHOT_CHUNK_BYTES', 128 * 1024 * 1024),
  /**
   * PostgreSQL sources: chunk files in binary COPY format where every column's type allows (~30% less target
   * CPU than text; see postgres/snapshot-reader.ts). 0 writes COPY text for every table.
   */
  snapshotBinary: envNumber('YB_VOYAGER_SNAPSHOT_BINARY', 1) !== 0,
  /** How long the snapshot waits for its ACCESS SHARE locks: a long-running DDL is reported, not waited out. */
  snapshotLockTimeoutMs: envNumber('YB_VOYAGER_SNAPSHOT_LOCK_TIMEOUT_MS', 60_000),
  /** Tests only: a pause after each exported chunk, so an import can be seen overlapping a running export. */
  testChunkDelayMs: envNumber('YB_VOYAGER_TEST_CHUNK_DELAY_MS', 0),
  /** Tests only: while this file exists, import data waits after each batch (a test acts mid-import, deterministically). */
  testBatchPauseFile: process.env.YB_VOYAGER_TEST_BATCH_PAUSE_FILE ?? '',
  /** How often import data looks for newly exported chunks: a chunk takes seconds to export, so 0.5 s is no lag. */
  importPollMs: envNumber('YB_VOYAGER_IMPORT_POLL_MS', 500),
  /** How long import data waits for an exporter that has not started yet (scripts often start both at once). */
  exportStartGraceMs: envNumber('YB_VOYAGER_EXPORT_START_GRACE_MS', 30_000),
  /** The streaming metrics table is redrawn this often (the reference tool's ~10 s). */
  metricsIntervalMs: envNumber('YB_VOYAGER_METRICS_INTERVAL_MS', 10_000),
  /** A queue segment rotates past this size, so archive changes can free space while streaming goes on. */
  queueSegmentMaxBytes: envNumber('YB_VOYAGER_QUEUE_SEGMENT_MAX_BYTES', 256 * 1024 * 1024),
  /** end migration waits this long for SIGTERM to stop a process at a transaction boundary before SIGKILL (safe too). */
  stopTimeoutMs: envNumber('YB_VOYAGER_STOP_TIMEOUT_MS', 60_000),
  /** archive changes looks for fully applied segments this often: segments fill in minutes, not seconds. */
  archivePollMs: envNumber('YB_VOYAGER_ARCHIVE_POLL_MS', 5000),
  /**
   * Change apply: events per target transaction under a backlog. 20k: more of a group compacts away and each
   * statement carries more rows, which cut the target's CPU per event by ~20% against 10k in cdc-bench.
   */
  applyGroupEvents: envNumber('YB_VOYAGER_APPLY_GROUP_EVENTS', 20_000),
  /** Change apply: a group commits at the first boundary once open this long, even with more input waiting. */
  applyGroupMs: envNumber('YB_VOYAGER_APPLY_GROUP_MS', 200),
  /**
   * verify data: rows per key range. 100k: a range's digest is one index-range scan of a few MB per side,
   * small enough that a differing range is cheap to drill into, large enough that per-query cost is noise.
   */
  verifyChunkRows: envNumber('YB_VOYAGER_VERIFY_CHUNK_ROWS', 100_000),
  /** A bigger source transaction is applied in chunks of this many events; no larger than a group (two are held). */
  applyChunkEvents: envNumber('YB_VOYAGER_APPLY_CHUNK_EVENTS', 20_000),
} as const;
