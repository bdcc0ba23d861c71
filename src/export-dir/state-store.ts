/**
 * The state store, metainfo/meta.db (SQLite). Versioned schema (migrations below, applied in order),
 * a JSON key/value area for records, and one transactional read-modify-write helper every change goes
 * through. Several processes use it at once: WAL mode and a generous busy timeout.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { DbIdentity } from '../core/connection.js';
import { UserError } from '../infra/errors.js';

export type { DbIdentity };

type DB = Database.Database;
type Statement = Database.Statement;

/**
 * Schema migrations. Append only: never edit a released step, add a new one. Features that need tables
 * add their step here so every process sees the same schema version.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE command_log (id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, pid INTEGER NOT NULL,
     started_at TEXT NOT NULL, ended_at TEXT, exit_code INTEGER);`,
  // The change queue (src/export-dir/queue.ts).
  `CREATE TABLE queue_segments (segment_no INTEGER PRIMARY KEY, exporter_role TEXT NOT NULL,
     committed_bytes INTEGER NOT NULL DEFAULT 0, events INTEGER NOT NULL DEFAULT 0, first_vsn INTEGER, last_vsn INTEGER,
     closed INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0, archive_location TEXT);
   CREATE TABLE queue_consumers (consumer TEXT NOT NULL, segment_no INTEGER NOT NULL, PRIMARY KEY (consumer, segment_no));
   CREATE TABLE exporter_position (exporter_role TEXT PRIMARY KEY, source_pos TEXT, updated_at TEXT);
   CREATE TABLE exported_event_counts (exporter_role TEXT NOT NULL, schema_name TEXT NOT NULL, table_name TEXT NOT NULL,
     inserts INTEGER NOT NULL DEFAULT 0, updates INTEGER NOT NULL DEFAULT 0, deletes INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (exporter_role, schema_name, table_name));
   CREATE TABLE exported_event_buckets (exporter_role TEXT NOT NULL, bucket INTEGER NOT NULL, events INTEGER NOT NULL,
     PRIMARY KEY (exporter_role, bucket));`,
  // The snapshot (src/export-dir/snapshot-state.ts): one row per exported table and per chunk file of the
  // current snapshot generation.
  `CREATE TABLE snapshot_tables (schema_name TEXT NOT NULL, table_name TEXT NOT NULL, estimated_rows INTEGER NOT NULL DEFAULT 0,
     exported_rows INTEGER NOT NULL DEFAULT 0, chunks_total INTEGER NOT NULL DEFAULT 0, chunks_done INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (schema_name, table_name));
   CREATE TABLE snapshot_chunks (file_name TEXT PRIMARY KEY, generation INTEGER NOT NULL, schema_name TEXT NOT NULL,
     table_name TEXT NOT NULL, source_schema TEXT NOT NULL, source_table TEXT NOT NULL, chunk_no INTEGER NOT NULL,
     from_block INTEGER NOT NULL, to_block INTEGER, estimated_bytes INTEGER NOT NULL DEFAULT 0,
     status TEXT NOT NULL DEFAULT 'pending', rows INTEGER, bytes INTEGER, done_at TEXT);
   CREATE INDEX snapshot_chunks_by_table ON snapshot_chunks (schema_name, table_name);`,
  // import schema progress (src/export-dir/schema-import-state.ts): each statement applied to a target
  // database, keyed by that database and a hash of the statement text, so a rerun skips what is done.
  `CREATE TABLE schema_import_statements (target_key TEXT NOT NULL, stmt_hash TEXT NOT NULL, status TEXT NOT NULL,
     file TEXT NOT NULL, line INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (target_key, stmt_hash));`,
  // Engine-neutral snapshot and capture records: a chunk's range is the source engine's own JSON (PostgreSQL:
  // ctid block range), and kv 'pg_replication' becomes kv 'capture' (engine + the position streaming starts at).
  `ALTER TABLE snapshot_chunks ADD COLUMN range_json TEXT NOT NULL DEFAULT '{}';
   UPDATE snapshot_chunks SET range_json = json_object('fromBlock', from_block, 'toBlock', to_block);
   ALTER TABLE snapshot_chunks DROP COLUMN from_block;
   ALTER TABLE snapshot_chunks DROP COLUMN to_block;
   INSERT INTO kv (key, value)
     SELECT 'capture', json_object('engine', 'postgresql', 'start', json_extract(value, '$.consistentLsn'),
                                   'createdAt', json_extract(value, '$.createdAt'))
       FROM kv WHERE key = 'pg_replication';
   DELETE FROM kv WHERE key = 'pg_replication';`,
  // What the migration report draws over time (src/export-dir/metrics-history.ts): events each importer applied
  // per 10-second bucket, with the lag (apply time − source commit time) of the transactions it committed.
  `CREATE TABLE imported_event_buckets (consumer TEXT NOT NULL, bucket INTEGER NOT NULL, events INTEGER NOT NULL DEFAULT 0,
     commits INTEGER NOT NULL DEFAULT 0, lag_ms_sum INTEGER NOT NULL DEFAULT 0, lag_ms_max INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (consumer, bucket));`,
];

export const STATE_SCHEMA_VERSION = MIGRATIONS.length;


export interface MigrationRecord {
  uuid: string;
  createdAt: string;
  source?: DbIdentity;
  target?: DbIdentity;
  ended?: boolean;
}

export class StateStore {
  readonly db: DB;
  /** Statements of the hot paths (queue commits and reads), compiled once: SQLite's prepare costs more than a run. */
  private readonly statements = new Map<string, Statement>();
  /** The WAL file, opened by the first flushWal(). */
  private wal: Promise<fs.promises.FileHandle> | undefined;
  private constructor(db: DB) {
    this.db = db;
  }

  static open(file: string): StateStore {
    const db = new Database(file, { timeout: 30_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 30000');
    const store = new StateStore(db);
    store.migrate();
    return store;
  }

  private migrate(): void {
    this.update(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
      const row = this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
      const current = row?.version ?? 0;
      if (current > MIGRATIONS.length) {
        throw new UserError(
          `this export dir was written by a newer yb-voyager (state schema ${current}, this one knows ${MIGRATIONS.length})`,
          'use the newer yb-voyager, or a new --export-dir',
          'conflict',
        );
      }
      for (let v = current; v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v]);
      if (row) this.db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
      else this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
    });
  }

  /** `sql` compiled once per store (for statements run many times). */
  statement(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /**
   * update() without waiting for the disk (synchronous = NORMAL for this one transaction): other connections
   * see it at once, but it is durable only after flushWal() or any later synchronous commit, by any process
   * (they share one WAL). For records that can be rebuilt after an OS crash (the queue's: see queue.ts).
   */
  updateUnsynced<T>(fn: () => T): T {
    // Prepared once: this runs on every queue commit.
    this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      return this.update(fn);
    } finally {
      this.statement('PRAGMA synchronous = FULL').run();
    }
  }

  /**
   * Make every transaction committed so far durable, in the thread pool: the fsync a synchronous commit does
   * on the WAL file. SQLite keeps that file (the same inode, reset in place) while a connection is open.
   */
  async flushWal(): Promise<void> {
    this.wal ??= fs.promises.open(`${this.db.name}-wal`, 'r');
    try {
      await (await this.wal).sync();
    } catch (e) {
      this.wal = undefined;
      throw e;
    }
  }

  /** Run fn in one IMMEDIATE transaction (write lock taken up front, so read-modify-write is safe). */
  update<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  getJson<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setJson(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  deleteKey(key: string): void {
    this.db.prepare('DELETE FROM kv WHERE key = ?').run(key);
  }

  /** Transactional read-modify-write of one JSON record. */
  modifyJson<T>(key: string, fn: (current: T | undefined) => T): T {
    return this.update(() => {
      const next = fn(this.getJson<T>(key));
      this.setJson(key, next);
      return next;
    });
  }

  /** The migration record, created (with a new UUID) on first use of the export dir. */
  migration(): MigrationRecord {
    return this.modifyJson<MigrationRecord>('migration', (cur) => cur ?? { uuid: randomUUID(), createdAt: new Date().toISOString() });
  }

  /**
   * Record which database plays `role`, or refuse if the export dir already belongs to another one.
   */
  bindDatabase(role: 'source' | 'target', identity: DbIdentity): void {
    this.modifyJson<MigrationRecord>('migration', (cur) => {
      const rec = cur ?? { uuid: randomUUID(), createdAt: new Date().toISOString() };
      const known = rec[role];
      if (known && !sameDatabase(known, identity)) {
        throw new UserError(
          `this export dir belongs to a migration whose ${role} is ${describe(known)}, not ${describe(identity)}`,
          `use a new, empty --export-dir for a different ${role} database (or point this command at ${describe(known)})`,
          'conflict',
        );
      }
      return { ...rec, [role]: known ? { ...known, dbOid: known.dbOid ?? identity.dbOid, host: identity.host, port: identity.port } : identity };
    });
  }

  assertNotEnded(): void {
    if (this.getJson<MigrationRecord>('migration')?.ended) {
      throw new UserError('this migration has ended (end migration was run on this export dir)', 'start a new migration with a new, empty --export-dir', 'conflict');
    }
  }

  logCommandStart(command: string): number {
    const r = this.db.prepare('INSERT INTO command_log (command, pid, started_at) VALUES (?, ?, ?)').run(command, process.pid, new Date().toISOString());
    return Number(r.lastInsertRowid);
  }

  logCommandEnd(id: number, exitCode: number): void {
    this.db.prepare('UPDATE command_log SET ended_at = ?, exit_code = ? WHERE id = ?').run(new Date().toISOString(), exitCode, id);
  }

  close(): void {
    void this.wal?.then((h) => h.close()).catch(() => undefined);
    this.wal = undefined;
    if (this.db.open) this.db.close();
  }
}

/** The same database: same engine, cluster and name, and (where both are known) the same database id. */
export function sameDatabase(a: DbIdentity, b: DbIdentity): boolean {
  if (a.dbType !== b.dbType || a.systemId !== b.systemId || a.dbName !== b.dbName) return false;
  return a.dbOid === undefined || b.dbOid === undefined || a.dbOid === b.dbOid;
}

function describe(id: DbIdentity): string {
  return `${id.dbType} database '${id.dbName}' on ${id.host}:${id.port} (system id ${id.systemId})`;
}
