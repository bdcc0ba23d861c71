/**
 * The engine seam: what every database engine implements, so workflows never speak one engine's dialect.
 *
 * Fall-back makes every engine play both roles — the source is read forward and written back after cutover,
 * the target is written forward and read back — so an engine is one object with optional roles (kysely's
 * Dialect is the model): it implements those it supports, and capability flags say how its roles behave.
 * Workflows receive an `Endpoint` (engine + connection) and never import an engine folder.
 *
 * Contracts that hold for every engine:
 *  - Positions (the change stream's place on a database: PostgreSQL LSN, binlog file:pos or GTID, SCN) are
 *    opaque strings; only `engine.positions.compare` orders them.
 *  - Values in chunk files and queue events are PostgreSQL COPY text, rendered under the session settings of
 *    core/copy-text.ts: an engine reading another dialect converts to it; a sink writing another dialect
 *    converts back.
 *  - Chunk ranges are opaque JSON to the neutral layers (PostgreSQL: ctid block ranges; MySQL: key ranges).
 *  - Every method maps driver errors to DbError/UserError with the fix named; `isConnectionLoss` says which
 *    of them a reconnect may cure.
 */
import type { EventCounts, TableChanges } from '../core/apply-batching.js';
import type { DataEvent } from '../core/change-event.js';
import type { CopyFormat } from '../core/copy-binary.js';
import type { Conn, DbIdentity } from '../core/connection.js';
import type { SequenceValue } from '../core/cutover.js';
import type { DataLineSink } from '../core/json-line.js';
import type { DdlStatement, SchemaDir } from '../core/schema-files.js';
import type { Logger } from '../infra/logger.js';

export type EngineName = 'postgresql' | 'yugabytedb' | 'mysql' | 'oracle';

/** Each flag says what changes when it is false. */
export interface EngineCapabilities {
  /** Several sessions can read one snapshot (PostgreSQL exported snapshot). False: one session, or a global read lock. */
  readonly sharedSnapshot: boolean;
  /** The server keeps the change stream's cursor (a slot). False (binlog): our durable position is the only cursor, so retention must be checked on resume. */
  readonly serverRetainsChanges: boolean;
  /** An update may omit unchanged columns (PostgreSQL TOAST): sinks leave absent columns alone. */
  readonly partialUpdates: boolean;
  /** A session can apply changes without firing triggers or checking foreign keys. False: fall-back needs triggers saved and dropped. */
  readonly applyWithoutTriggers: boolean;
  /** The change stream carries rows changed by foreign-key actions (ON DELETE CASCADE…). False (MySQL binlog): the sink does those actions. */
  readonly cascadesInStream: boolean;
}

export interface PositionCodec {
  /** A position before every other (where a capture with no recorded start begins). */
  readonly origin: string;
  /** <0, 0, >0 as a is before, at, after b. */
  compare(a: string, b: string): number;
}

/** Which capture of this migration: the engine derives its objects' names (slot, publication) from it. */
export interface CaptureId {
  readonly migrationUuid: string;
  /** The database the changes are read from. */
  readonly side: 'source' | 'target';
}

export interface TableRef {
  readonly schema: string;
  readonly table: string;
}

export interface Engine {
  readonly name: EngineName;
  /** For messages: "PostgreSQL", "MariaDB". */
  readonly displayName: string;
  readonly capabilities: EngineCapabilities;
  readonly positions: PositionCodec;
  /**
   * Which database a connection reaches, in a form that survives host renames (the state store binds to it).
   * It is a command's first contact with the database: `log` gets what the engine says about how it connected.
   */
  identity(c: Conn, log?: Logger): Promise<DbIdentity>;
  /** True for failures a reconnect may cure (connection lost, server restarting); never for auth or privilege errors. */
  isConnectionLoss(e: unknown): boolean;
  /** A connection loss, or a failure the same transaction may pass when run again (deadlock, serialization). */
  isTransient(e: unknown): boolean;
  readonly schemaSource?: SchemaSource;
  readonly snapshotSource?: SnapshotSource;
  readonly changeSource?: ChangeSource;
  readonly changeSink?: ChangeSinkFactory;
  readonly snapshotTarget?: SnapshotTarget;
  readonly schemaTarget?: SchemaTarget;
  readonly sequences: SequenceSync;
  /** verify data: chunk hashes and rows over one canonical text, the same on every engine. */
  readonly verifier?: TableVerifier;
  /**
   * Why a role is missing, when the reason is more than "not built yet" (Oracle: no server to test against).
   * Commands refusing --export-type snapshot-and-changes, fall-back or import data to source say it.
   */
  readonly refusals?: { readonly liveChanges?: string; readonly writeBack?: string };
}

/** What a workflow is given for one database. */
export interface Endpoint {
  readonly engine: Engine;
  readonly conn: Conn;
}

// ---- Schema ---------------------------------------------------------------------------------------------

export interface ExportedSchema {
  readonly identity: DbIdentity;
  readonly serverVersion: string;
  /** The schemas found, by name and as written in DDL. */
  readonly schemas: readonly { name: string; ident: string }[];
  /** Statements per schema dir, in the target's DDL (PostgreSQL). */
  readonly files: ReadonlyMap<SchemaDir, readonly DdlStatement[]>;
  readonly warnings: readonly string[];
  readonly roles: readonly string[];
  /** SQL a DBA runs by hand on the source (Oracle's preparation and fall-back steps), written under scripts/. */
  readonly dbaScripts?: readonly { readonly name: string; readonly when: string; readonly sql: string }[];
}

export interface SchemaExportOptions {
  readonly log?: Logger;
  /** Engines that read through a query-runner seam (Oracle): also write every catalog result to this fixture file. */
  readonly captureCatalogTo?: string;
}

export interface SchemaSource {
  /**
   * What --source-db-schema means. 'required': the schemas to export (PostgreSQL). 'refused': the
   * connection's database is exported as one schema (MySQL, where a database is a schema), so the flag is
   * an error rather than silently ignored.
   */
  readonly sourceSchemaFlag: 'required' | 'refused';
  /** Read the requested schemas (as given to --source-db-schema) and convert them to PostgreSQL DDL. */
  exportSchema(c: Conn, requested: readonly string[], o?: SchemaExportOptions): Promise<ExportedSchema>;
}

/** import schema's session on the target: statements applied one at a time, each classified. */
export interface SchemaTarget {
  open(c: Conn): Promise<SchemaTargetSession>;
}

export interface StatementError {
  readonly code?: string;
  readonly message: string;
}

export type StatementOutcome =
  | { readonly kind: 'applied' }
  | { readonly kind: 'exists' | 'missing-dependency' | 'failed'; readonly error: StatementError };

export interface SchemaTargetSession {
  /** Stable key of this database for the state store's per-statement progress. */
  progressKey(): Promise<string>;
  ensureSchema(name: string): Promise<void>;
  prepareSession(searchPath: readonly string[]): Promise<void>;
  apply(sql: string): Promise<StatementOutcome>;
  /** After CREATE INDEX failures: indexes left invalid, dropped (their names). */
  readonly droppedInvalidIndexes: readonly string[];
  close(): Promise<void>;
}

// ---- Snapshot -------------------------------------------------------------------------------------------

export interface SourceColumn {
  readonly name: string;
  readonly type: string;
  /** Computed by the target (GENERATED … STORED): not copied. */
  readonly generated: boolean;
}

export interface SourceTable extends TableRef {
  readonly columns: readonly SourceColumn[];
  readonly pk: readonly string[];
  readonly isPartitioned: boolean;
  /** Physical tables read (a partitioned table's leaves; a plain table itself). */
  readonly leaves: readonly TableRef[];
  readonly estimatedRows: number;
  /**
   * 'binary': the engine's readers write this table's chunks in PostgreSQL's binary COPY format (a PostgreSQL
   * source whose columns all have built-in types with an OID-free binary form). Absent: COPY text.
   */
  readonly copyFormat?: CopyFormat;
}

export interface TableSelection {
  /** --source-db-schema entries (default public). */
  readonly schemas: readonly string[];
  readonly tableList?: readonly string[];
  readonly excludeTableList?: readonly string[];
  /** A change stream follows the snapshot: streaming guardrails apply too. */
  readonly live: boolean;
  readonly capture: CaptureId;
}

/** One chunk of a table to copy into one file. `range` is the engine's own, stored as JSON in meta.db. */
export interface ChunkRange {
  readonly leaf: TableRef;
  readonly range: unknown;
  readonly estimatedBytes: number;
}

export interface SnapshotSource {
  /** The tables to export after every guardrail; every problem is reported at once (one UserError). */
  selectTables(c: Conn, sel: TableSelection): Promise<SourceTable[]>;
  /**
   * Take one consistent snapshot of `tables` (with `capture`: create the change capture first, so the stream
   * starts exactly where the snapshot ends). The tables are locked against rewrites until close().
   */
  begin(c: Conn, o: { tables: readonly SourceTable[]; capture?: CaptureId; lockTimeoutMs: number; log: Logger; maxReaders: number }): Promise<SnapshotHandle>;
}

export interface SnapshotHandle {
  /** Where the change stream starts (no gap, no overlap); undefined without capture. */
  readonly start?: string;
  /** Split each table into chunks of about `chunkBytes`, under the snapshot's locks. */
  plan(tables: readonly SourceTable[], chunkBytes: number): Promise<Map<SourceTable, ChunkRange[]>>;
  /**
   * Sessions that read the snapshot (n ≤ begin's maxReaders: an engine without a shared snapshot opens its
   * readers inside begin, all at one position); after this the snapshot needs no other holder.
   */
  openReaders(n: number): Promise<SnapshotReader[]>;
  /** A new reader of the same snapshot for one whose session was lost; fails (not a connection loss) when the snapshot itself is gone. */
  reopenReader(): Promise<SnapshotReader>;
  close(): Promise<void>;
}

export interface SnapshotReader {
  /**
   * Copy one chunk into `file` as PostgreSQL COPY text (or binary, for a table whose copyFormat says so):
   * written to a temp name, fsynced, renamed. `onRows` reports progress as data arrives: rows, and the bytes
   * written with them (progress is measured by bytes when the engine reports them).
   */
  copy(chunk: ChunkRange, columns: readonly string[], file: string, onRows: (rows: number, bytes?: number) => void, signal: AbortSignal, format?: CopyFormat): Promise<{ rows: number; bytes: number }>;
  close(): Promise<void>;
}

/** import data's view of the target for the snapshot: each batch committed with its bookkeeping row. */
export interface SnapshotTarget {
  open(c: Conn): Promise<SnapshotTargetAdmin>;
  openLoader(c: Conn): Promise<BatchLoader>;
}

export interface FileImportState {
  /** Rows of the file committed so far, and the last batch number. */
  rows: number;
  lastBatch: number;
}

export interface SnapshotTargetAdmin {
  ensureMetadata(): Promise<void>;
  /** One problem per table the target lacks (or whose columns differ). */
  missingTables(tables: readonly (TableRef & { columns: readonly string[] })[]): Promise<string[]>;
  /** The target's type of each named column, per table, in the source catalog's spelling (PostgreSQL: format_type). */
  columnTypes(tables: readonly (TableRef & { columns: readonly string[] })[]): Promise<string[][]>;
  nonEmptyTables<T extends TableRef>(tables: readonly T[]): Promise<T[]>;
  truncate(tables: readonly TableRef[]): Promise<void>;
  importedByFile(migrationUuid: string): Promise<Map<string, FileImportState>>;
  importedRowsByTable(migrationUuid: string): Promise<{ schema: string; table: string; rows: number }[]>;
  deleteBatches(migrationUuid: string, tables: readonly TableRef[]): Promise<number>;
  /**
   * The primary keys of these (empty) tables that can be dropped before the load and built after it, faster than
   * maintaining them row by row. Optional: an engine without it (or that returns []) keeps its keys.
   */
  deferrableKeys?(tables: readonly TableRef[]): Promise<DeferredKey[]>;
  dropKey?(key: DeferredKey): Promise<void>;
  /** Builds the key again; nothing when the table has a primary key already. */
  restoreKey?(key: DeferredKey): Promise<void>;
  close(): Promise<void>;
}

/** A primary key dropped for the snapshot load, as the engine re-creates it. */
export interface DeferredKey extends TableRef {
  readonly name: string;
  /** The engine's own definition (PostgreSQL: pg_get_constraintdef). */
  readonly definition: string;
}

export interface BatchToLoad extends TableRef {
  readonly migrationUuid: string;
  readonly fileName: string;
  readonly batchNumber: number;
  readonly columns: readonly string[];
  /** Line of the file where the batch starts (messages). */
  readonly firstLine: number;
  /** The data's format (default text). */
  readonly format?: CopyFormat;
  /**
   * Binary data whose columns have other types on the target: the source's types (loaded into a staging table
   * of those) and the target's (each value then converted through its text form, as a COPY text would).
   */
  readonly stage?: { readonly sourceTypes: readonly string[]; readonly targetTypes: readonly string[] };
}

export interface BatchLoader {
  /** COPY the batch and record it in one transaction; a batch recorded before is not loaded again. */
  load(b: BatchToLoad, data: AsyncIterable<Buffer>): Promise<{ status: 'imported'; rows: number } | { status: 'already-imported' }>;
  close(): Promise<void>;
}

// ---- Changes --------------------------------------------------------------------------------------------

export interface StreamedTable extends TableRef {
  readonly pk: readonly string[];
}

export interface ChangeSource {
  /** Before streaming: every problem (fatal) and warning at once. */
  check(c: Conn, tables: readonly StreamedTable[] | undefined, capture: CaptureId): Promise<{ problems: string[]; warnings: string[] }>;
  /** Create the capture objects if missing (the fall-back stream on the target). Returns what was created, for messages. */
  prepare(c: Conn, capture: CaptureId, tables: readonly TableRef[]): Promise<string[]>;
  /** Stream changes after `from` (the last durable position, or the snapshot's start) into `sink`. */
  open(c: Conn, o: { capture: CaptureId; from: string; tables?: readonly StreamedTable[]; log: Logger }, sink: CaptureSink): Promise<CaptureStream>;
  /** The database's current position: a cutover streams at least up to it. */
  currentPosition(c: Conn, log: Logger): Promise<string>;
  /** What the capture keeps on the server (slot's retained WAL), for the log. */
  retained(c: Conn, capture: CaptureId): Promise<{ bytes: number; detail: Record<string, unknown> } | undefined>;
  /** Drop the capture objects (idempotent). Returns what was dropped, for messages. */
  drop(c: Conn, capture: CaptureId): Promise<string[]>;
}

/**
 * Where a change source delivers (ChangeExporter implements it). Synchronous: the source reads nothing more
 * until a call returns, which is the backpressure. Transactions arrive in commit order: each commit position
 * lies past every position delivered before it (a resent transaction the sink skips excepted).
 */
export interface CaptureSink {
  /** A transaction whose commit is at `commitPos` begins. False: the queue already holds it; skip its changes. */
  begin(commitPos: string): boolean;
  change(e: Omit<DataEvent, 'vsn'>): void;
  /** Fast path: a data event line written straight into the queue (see core/json-line.ts). */
  readonly lines: DataLineSink;
  commit(pos: string, ts?: string): void;
  truncate(tables: readonly TableRef[]): void;
  /** Between transactions: every transaction that committed before `pos` has been delivered. */
  idle(pos: string): void;
  /**
   * Milliseconds until the next queue commit is due (0: at once). Changes delivered before then wait for that
   * commit anyway: a source that reads in batches may leave its connection alone until just before it.
   */
  msUntilCommitDue?(): number;
}

export interface CaptureStream {
  /** Everything up to `pos` is durable on our side: the server may forget it. */
  confirm(pos: string): void;
  close(): Promise<void>;
  /** Settles when the stream ends: resolves after close(), rejects on a server or connection error. */
  readonly done: Promise<void>;
}

export interface ChangeSinkFactory {
  /** Can this user apply the changes here the way the sink does (PostgreSQL: without firing triggers and FK checks)? Otherwise the GRANTs to run. */
  checkApply(c: Conn): Promise<{ ok: boolean; user: string; fix?: string }>;
  /** applyForeignKeyActions: the stream comes from an engine whose stream lacks cascaded rows (capabilities.cascadesInStream false). */
  open(c: Conn, o: { migrationUuid: string; side: 'source' | 'target'; log: Logger; applyForeignKeyActions?: boolean }): Promise<ChangeSink>;
  /** Change events applied here, per table (get data-migration-report). */
  importedCounts(c: Conn, migrationUuid: string): Promise<{ schema: string; table: string; inserts: number; updates: number; deletes: number }[]>;
  /** The last vsn applied here (undefined before any), without opening an apply session. */
  appliedWatermark(c: Conn, migrationUuid: string): Promise<number | undefined>;
  /** end migration: drop the metadata this tool keeps in the database (idempotent). Returns what was dropped. */
  dropMetadata(c: Conn): Promise<string[]>;
  /**
   * Engines that cannot apply without firing triggers (capabilities.applyWithoutTriggers false): before the
   * first applied change, save every trigger of the migrated database durably (in the database's metadata,
   * with order, definer, sql_mode and character set), then drop them. Idempotent: a rerun after kill -9 at
   * any point finishes the job. `restoreSql` recreates exactly what was saved (for backups and the DBA).
   */
  suspendTriggers?(c: Conn, o: { migrationUuid: string; log: Logger }): Promise<{ suspended: string[]; restoreSql: string }>;
  /** Put back every saved trigger exactly as it was (cutover to source, end migration). Idempotent. Returns what was recreated. */
  restoreTriggers?(c: Conn, o: { migrationUuid: string; log: Logger }): Promise<string[]>;
}

export interface AppliedState {
  /** The last vsn applied (committed with the changes it covers). */
  watermark: number;
  totals: EventCounts;
}

export interface ChangeSink {
  readonly applied: AppliedState;
  /** A group is open (applyChunk since the last commit). */
  readonly openTransaction: boolean;
  /**
   * Set when the session ended while no statement ran (a restart, a killed session): the error, so an idle
   * apply loop reconnects at once instead of when its next group fails.
   */
  readonly sessionLost?: unknown;
  applyChunk(changes: readonly TableChanges[]): Promise<void>;
  /** Commit the open group with the watermark in the same transaction. */
  commit(watermark: number): Promise<void>;
  /**
   * applyChunk then commit, for a group of one chunk when none is open, sent without waiting for the groups sent
   * before it: resolves once it is sent, with `committed`, which settles once it is committed (in the order sent)
   * or failed. Optional: a sink that can send a group at once (one round trip) and keep a failed group from
   * letting the ones sent after it commit has it; the apply loop calls the two otherwise, one group at a time.
   */
  sendGroup?(changes: readonly TableChanges[], watermark: number): Promise<{ committed: Promise<void> }>;
  /**
   * Optional: a sink whose commits return before they are durable (PostgreSQL: synchronous_commit = off, as a
   * subscription's apply worker; a server crash loses its last commits, watermark included, and they are applied
   * again from the queue) has it. Waits until every commit so far is durable. The apply loop calls it before
   * anything outside the database relies on them: the queue segments they let go, a cutover marker.
   */
  makeDurable?(): Promise<void>;
  rollback(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}

// ---- Sequences ------------------------------------------------------------------------------------------

export interface SequenceRestore {
  schema: string;
  name: string;
  /** The value set (the next one is handed out), or undefined when left untouched. */
  setTo?: string;
  /** Why nothing was done: the sequence does not exist on this side, or was never used on either side. */
  skipped?: 'missing' | 'unused';
  /** Columns whose data was taken into account. */
  columns: string[];
}

export interface SequenceSync {
  read(c: Conn, schemas: readonly string[]): Promise<SequenceValue[]>;
  /**
   * Set each to the furthest of the value given, its own, and the data drawn from it. Never moves one back.
   * Absent: the application cannot move to this engine yet (no fall-back onto it).
   */
  restore?(c: Conn, values: readonly SequenceValue[], o?: { mapSchema?: (schema: string) => string }): Promise<SequenceRestore[]>;
}

// ---- Verification ---------------------------------------------------------------------------------------

/**
 * A table as verify data reads it. Every engine renders a row as the same canonical text (PostgreSQL's row
 * text of the columns' COPY-text values under core/copy-text.ts settings), so hashes compare across engines.
 */
export interface VerifyTable extends TableRef {
  /** Columns compared, in order. */
  readonly columns: readonly string[];
  /** Key columns (a primary key); [] for a keyless table, which is compared as a whole. */
  readonly key: readonly string[];
  /** Types of the key columns, in the target's dialect (PostgreSQL), for typed range bounds. */
  readonly keyTypes: readonly string[];
}

/** Key values as text, in key-column order. */
export type KeyValues = readonly string[];

/** Keys after `after` (exclusive) up to `upTo` (inclusive); undefined = open. */
export interface KeyRange {
  readonly after?: KeyValues;
  readonly upTo?: KeyValues;
}

export interface ChunkDigest {
  rows: number;
  /** Order-independent digest of the rows' key + canonical text. */
  digest: string;
}

export interface TableVerifier {
  open(c: Conn): Promise<VerifySession>;
}

export interface VerifySession {
  /**
   * Digest algorithms this engine computes, fastest first; the two sides use the first one both have (an
   * engine-specific hash is fine between two of the same engine; 'md5-sum60' is the one every engine has).
   */
  readonly digests: readonly string[];
  /** Keys that cut the table into chunks of about `chunkRows` rows (one pass over the key). */
  splitKeys(t: VerifyTable, chunkRows: number): Promise<KeyValues[]>;
  /** Digest of the rows in `range` (keyless tables: the whole table, range ignored). */
  chunkDigest(t: VerifyTable, range: KeyRange, algorithm: string): Promise<ChunkDigest>;
  /** Key and row hash of every row in `range`, in key order. */
  rowHashes(t: VerifyTable, range: KeyRange): Promise<{ key: KeyValues; hash: string }[]>;
  /** The canonical column texts of the rows with these keys (null: SQL NULL). */
  rows(t: VerifyTable, keys: readonly KeyValues[]): Promise<Map<string, (string | null)[]>>;
  close(): Promise<void>;
}
