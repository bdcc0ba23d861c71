/**
 * export schema: read the source's schema and write it as PostgreSQL DDL, one file per object type,
 * under <export-dir>/schema. Files are written whole (temp file, then rename) so a crash never leaves
 * half a file; an earlier export is replaced only with --start-clean.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Endpoint } from '../adapters/engine.js';
import { renderSchemaFile, SCHEMA_DIRS, type SchemaDir } from '../core/schema-files.js';
import type { ExportDir } from '../export-dir/layout.js';
import { saveConnSettings } from '../export-dir/migration-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { UserError } from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';

export interface ExportSchemaDeps {
  readonly exportDir: ExportDir;
  readonly state: StateStore;
  readonly log: Logger;
}

export interface ExportSchemaOptions {
  readonly source: Endpoint;
  /** --source-db-schema as given (quoted names keep their quotes). */
  readonly schemas: readonly string[];
  readonly startClean: boolean;
  /** Hidden: write every catalog query result to this fixture file (engines with a query-runner seam). */
  readonly captureCatalogTo?: string;
}

export interface ExportedFile {
  readonly dir: SchemaDir;
  /** Relative to the export dir. */
  readonly file: string;
  /** Statements per header object type (objects kept as comments apart), in first-seen order. */
  readonly counts: ReadonlyMap<string, number>;
}

export interface ExportSchemaResult {
  readonly database: string;
  readonly serverVersion: string;
  readonly schemas: readonly string[];
  readonly files: readonly ExportedFile[];
  readonly warnings: readonly string[];
  readonly roles: readonly string[];
  /** SQL for a DBA written under scripts/ (relative paths), with when to run each. */
  readonly dbaScripts: readonly { file: string; when: string }[];
}

/** What import schema needs to know about the export (kv 'export_schema'). */
export interface ExportSchemaRecord {
  schemas: string[];
  serverVersion: string;
  exportedAt: string;
}

export async function exportSchema(deps: ExportSchemaDeps, opts: ExportSchemaOptions, signal: AbortSignal): Promise<ExportSchemaResult> {
  const { exportDir, state, log } = deps;
  const { engine, conn } = opts.source;
  if (!engine.schemaSource) throw new UserError(`exporting the schema of ${engine.displayName} is not supported yet`, 'see docs/export-schema.md for the supported source databases');
  if (engine.schemaSource.sourceSchemaFlag === 'required' && !opts.schemas.length) throw new UserError('required flag --source-db-schema is missing', 'add --source-db-schema <schema>[,<schema>…]');
  if (engine.schemaSource.sourceSchemaFlag === 'refused' && opts.schemas.length) {
    throw new UserError(
      `--source-db-schema is not used with --source-db-type ${engine.name}: the database named by --source-db-name is exported, as schema public`,
      'drop --source-db-schema (import schema --target-db-schema puts the tables in another schema on the target)',
    );
  }
  const leftovers = listFiles(exportDir.schemaDir);
  if (leftovers.length && !opts.startClean) {
    throw new UserError(
      `${exportDir.schemaDir} is not empty (${leftovers.length} file${leftovers.length > 1 ? 's' : ''} from an earlier export schema)`,
      'rerun with --start-clean true to replace them, or use a new --export-dir',
      'conflict',
    );
  }

  // Refuse another database before the (long) export, not after it.
  state.bindDatabase('source', await engine.identity(conn, log));
  saveConnSettings(state, conn.settings);
  log.info('exporting schema', { requested: opts.schemas });
  const result = await engine.schemaSource.exportSchema(conn, opts.schemas, { log, captureCatalogTo: opts.captureCatalogTo });
  const { identity, schemas } = result;
  if (signal.aborted) throw new UserError('export schema interrupted before writing any file', 'rerun the same command', 'interrupted');

  if (opts.startClean) for (const f of leftovers) fs.rmSync(f, { force: true });
  const preambleBase = `source: ${engine.displayName} ${result.serverVersion}, database ${identity.dbName}, schemas ${schemas.map((s) => s.ident).join(', ')}`;
  const files: ExportedFile[] = [];
  for (const dir of SCHEMA_DIRS) {
    const statements = result.files.get(dir);
    if (!statements?.length) continue;
    const file = exportDir.schemaFile(dir);
    writeWhole(file, renderSchemaFile(`yb-voyager export schema: ${dir}\n${preambleBase}`, statements));
    const counts = new Map<string, number>();
    for (const s of statements) {
      const type = s.commentedOut ? `${s.objectType} (not converted)` : s.objectType;
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    files.push({ dir, file: path.relative(exportDir.root, file), counts });
    log.info('wrote schema file', { file, statements: statements.length });
  }
  const dbaScripts = (result.dbaScripts ?? []).map((s) => {
    const file = exportDir.dbaScriptFile(s.name);
    writeWhole(file, s.sql);
    return { file: path.relative(exportDir.root, file), when: s.when };
  });
  for (const w of result.warnings) log.warn(w);
  const record: ExportSchemaRecord = { schemas: schemas.map((s) => s.name), serverVersion: result.serverVersion, exportedAt: new Date().toISOString() };
  state.update(() => state.setJson('export_schema', record));
  return { database: identity.dbName, serverVersion: result.serverVersion, schemas: record.schemas, files, warnings: result.warnings, roles: result.roles, dbaScripts };
}

function writeWhole(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Every file under dir (recursively); directories themselves do not count. */
function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}
