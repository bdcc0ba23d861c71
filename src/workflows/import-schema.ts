/**
 * import schema: apply <export-dir>/schema to the target in dependency order (core/schema-import-plan.ts).
 *
 * - Default run: everything except non-unique indexes and triggers; `--post-snapshot-import` applies
 *   exactly those (and refreshes materialized views), after the data import.
 * - A statement failing because something it needs does not exist yet (a view over a materialized
 *   view, a function returning a table's row type) is retried after each later step and at the end;
 *   only what still fails then is a failure.
 * - Progress is in the state store: a rerun skips statements already applied to this target database,
 *   so after a crash or a fixed failure it simply continues. `--ignore-exist` also passes over objects
 *   that exist for other reasons; `--start-clean` forgets the recorded progress.
 * - `--continue-on-error` records failures in schema/failed.sql and goes on; otherwise the first failure
 *   stops the run, naming the file, line and statement.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Endpoint, StatementError } from '../adapters/engine.js';
import { firstLine, parseSchemaFile, SCHEMA_DIRS } from '../core/schema-files.js';
import { isPostDataStep, planImport, type ImportStep, type PlannedStatement, type SchemaFileInput } from '../core/schema-import-plan.js';
import { renameSchema } from '../core/schema-rename.js';
import type { ExportDir } from '../export-dir/layout.js';
import { saveConnSettings } from '../export-dir/migration-state.js';
import { SchemaImportProgress, statementHash } from '../export-dir/schema-import-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { DbError, UserError } from '../infra/errors.js';
import { failpoint } from '../infra/failpoints.js';
import type { Logger } from '../infra/logger.js';
import type { ExportSchemaRecord } from './export-schema.js';

export interface ImportSchemaDeps {
  readonly exportDir: ExportDir;
  readonly state: StateStore;
  readonly log: Logger;
  /** Progress lines for people. */
  readonly say: (line: string) => void;
}

export interface ImportSchemaOptions {
  readonly target: Endpoint;
  readonly targetSchema?: string;
  readonly postSnapshotImport: boolean;
  readonly ignoreExist: boolean;
  readonly continueOnError: boolean;
  readonly startClean: boolean;
}

export interface StepSummary {
  step: ImportStep;
  applied: number;
  /** Recorded as applied by an earlier run. */
  skipped: number;
  /** Already existed (--ignore-exist, or a statement a crashed run had applied). */
  existed: number;
  failed: number;
}

export interface FailedStatement {
  readonly statement: PlannedStatement;
  readonly error: StatementError;
}

export interface ImportSchemaResult {
  readonly steps: StepSummary[];
  readonly failures: readonly FailedStatement[];
  readonly failedFile?: string;
  /** source schema → target schema, for schemas that move. */
  readonly schemaMap: Readonly<Record<string, string>>;
  /** In a default run: statements left for --post-snapshot-import. */
  readonly leftForPostSnapshot: number;
  readonly droppedInvalidIndexes: readonly string[];
}

export async function importSchema(deps: ImportSchemaDeps, opts: ImportSchemaOptions, signal: AbortSignal): Promise<ImportSchemaResult> {
  const { exportDir, state, log, say } = deps;
  const files = readSchemaFiles(exportDir);
  const exported = state.getJson<ExportSchemaRecord>('export_schema');
  const schemaMap = schemaMapping(exported?.schemas ?? ['public'], opts.targetSchema);
  state.update(() => state.setJson('schema_mapping', schemaMap));

  const all = planImport(files).map((s) => ({ ...s, sql: rename(s.sql, schemaMap) }));
  const plan = all.filter((s) => isPostDataStep(s.step) === opts.postSnapshotImport);

  const { engine, conn } = opts.target;
  if (!engine.schemaTarget) throw new UserError(`importing a schema into ${engine.displayName} is not supported`, 'the target must be PostgreSQL or YugabyteDB');
  state.bindDatabase('target', await engine.identity(conn));
  saveConnSettings(state, conn.settings);
  const applier = await engine.schemaTarget.open(conn);
  try {
    const progress = new SchemaImportProgress(state, await applier.progressKey());
    if (opts.startClean) log.info('forgot recorded progress (--start-clean)', { statements: progress.reset() });
    const statuses = progress.statuses();

    for (const target of Object.values(schemaMap)) await applier.ensureSchema(target);
    const searchPath = [...new Set([...(exported?.schemas ?? ['public']).map((s) => schemaMap[s] ?? s), 'public'])];
    await applier.prepareSession(searchPath);

    const summaries = new Map<ImportStep, StepSummary>();
    const summary = (step: ImportStep) => {
      let s = summaries.get(step);
      if (!s) summaries.set(step, (s = { step, applied: 0, skipped: 0, existed: 0, failed: 0 }));
      return s;
    };
    const failures: FailedStatement[] = [];
    let deferred: { statement: PlannedStatement; error: StatementError }[] = [];

    /** Apply one statement; true when it is done with (applied, existed, or failed for good). */
    const attempt = async (st: PlannedStatement, final: boolean): Promise<{ done: boolean; error?: StatementError }> => {
      const hash = statementHash(st.dir, st.sql);
      const previous = statuses.get(hash);
      progress.mark(hash, 'started', st.file, st.line);
      const outcome = await applier.apply(st.sql);
      if (outcome.kind === 'applied') failpoint('import-schema-after-statement');
      switch (outcome.kind) {
        case 'applied':
          progress.mark(hash, 'applied', st.file, st.line);
          summary(st.step).applied++;
          return { done: true };
        case 'exists':
          if (opts.ignoreExist || previous === 'started') {
            log.info('already exists', { file: st.file, line: st.line, error: outcome.error.message });
            progress.mark(hash, 'applied', st.file, st.line);
            summary(st.step).existed++;
            return { done: true };
          }
          break;
        case 'missing-dependency':
          if (!final) {
            progress.forget(hash);
            return { done: false, error: outcome.error };
          }
          break;
      }
      progress.forget(hash);
      const error = outcome.error;
      summary(st.step).failed++;
      log.error('statement failed', { file: st.file, line: st.line, sql: firstLine(st.sql), code: error.code, error: error.message });
      if (!opts.continueOnError) throw statementFailure(st, error, exportDir);
      failures.push({ statement: st, error });
      return { done: true };
    };

    /** Retry deferred statements until none succeeds any more; at the end, what remains fails. */
    const retryDeferred = async (final: boolean) => {
      let progressMade = true;
      while (deferred.length && progressMade) {
        progressMade = false;
        const still: typeof deferred = [];
        for (const d of deferred) {
          const r = await attempt(d.statement, false);
          if (r.done) progressMade = true;
          else still.push({ statement: d.statement, error: r.error! });
        }
        deferred = still;
      }
      if (final) {
        const remaining = deferred;
        deferred = [];
        for (const d of remaining) await attempt(d.statement, true);
      }
    };

    let currentStep: ImportStep | undefined;
    for (const st of plan) {
      if (signal.aborted) throw new UserError('import schema interrupted', 'rerun the same command: statements already applied are skipped', 'interrupted');
      if (st.step !== currentStep) {
        if (currentStep !== undefined) await retryDeferred(false);
        currentStep = st.step;
        say(`importing ${st.step}…`);
        log.info('step', { step: st.step });
      }
      if (statuses.get(statementHash(st.dir, st.sql)) === 'applied') {
        summary(st.step).skipped++;
        continue;
      }
      const r = await attempt(st, false);
      if (!r.done) {
        log.info('deferred: needs an object not created yet', { file: st.file, line: st.line, error: r.error?.message });
        deferred.push({ statement: st, error: r.error! });
      }
    }
    await retryDeferred(true);

    let failedFile: string | undefined;
    if (failures.length) {
      failedFile = exportDir.failedSchemaFile;
      fs.writeFileSync(failedFile, renderFailedFile(failures));
    } else if (fs.existsSync(exportDir.failedSchemaFile)) {
      // It listed the failures of an earlier run; those are applied now or belong to the other mode.
      fs.rmSync(exportDir.failedSchemaFile);
    }
    const leftForPostSnapshot = opts.postSnapshotImport ? 0 : all.filter((s) => isPostDataStep(s.step) && s.step !== 'refresh mviews').length;
    const order = plan.map((s) => s.step).filter((s, i, a) => a.indexOf(s) === i);
    return {
      steps: order.map((s) => summaries.get(s) ?? { step: s, applied: 0, skipped: 0, existed: 0, failed: 0 }),
      failures,
      failedFile: failedFile && path.relative(exportDir.root, failedFile),
      schemaMap,
      leftForPostSnapshot,
      droppedInvalidIndexes: applier.droppedInvalidIndexes,
    };
  } finally {
    await applier.close();
  }
}

/**
 * Where the source's schemas go. Without --target-db-schema each keeps its name. With it: a single
 * exported schema goes there; of several, `public` goes there and the others keep their names.
 */
export function schemaMapping(exported: readonly string[], target: string | undefined): Record<string, string> {
  if (target === undefined) return {};
  if (exported.length === 1) return exported[0] === target ? {} : { [exported[0]]: target };
  if (exported.includes('public')) return target === 'public' ? {} : { public: target };
  throw new UserError(
    `--target-db-schema ${target} is ambiguous: the export has schemas ${exported.join(', ')} and no public schema to move`,
    'leave --target-db-schema out: each schema is created on the target under its own name',
  );
}

function rename(sql: string, map: Readonly<Record<string, string>>): string {
  let out = sql;
  for (const [from, to] of Object.entries(map)) out = renameSchema(out, from, to);
  return out;
}

/** Every schema/<dir>/*.sql file: known directories in import order, then any others. */
export function readSchemaFiles(exportDir: ExportDir): SchemaFileInput[] {
  const root = exportDir.schemaDir;
  const dirs = fs.existsSync(root) ? fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : [];
  const known = SCHEMA_DIRS as readonly string[];
  dirs.sort((a, b) => (known.includes(a) ? known.indexOf(a) : 1000) - (known.includes(b) ? known.indexOf(b) : 1000) || a.localeCompare(b));
  const out: SchemaFileInput[] = [];
  for (const dir of dirs) {
    for (const name of fs.readdirSync(path.join(root, dir)).filter((n) => n.endsWith('.sql')).sort()) {
      const file = path.join(root, dir, name);
      out.push({ dir, file: path.relative(exportDir.root, file), statements: parseSchemaFile(fs.readFileSync(file, 'utf8')) });
    }
  }
  if (!out.some((f) => f.statements.length)) {
    throw new UserError(`no exported schema in ${root}`, 'run export schema with this --export-dir first', 'not-found');
  }
  return out;
}

function statementFailure(st: PlannedStatement, error: StatementError, exportDir: ExportDir): DbError {
  const what = `import schema failed at ${st.file}:${st.line}, statement "${firstLine(st.sql)}": ${error.message.split('\n')[0]}${error.code ? ` (SQLSTATE ${error.code})` : ''}`;
  const file = path.join(exportDir.root, st.file);
  const hint =
    error.code && ['42P07', '42710', '42723', '42P06'].includes(error.code)
      ? 'the object already exists on the target: rerun with --ignore-exist true to pass over existing objects'
      : `fix the statement in ${file} (or the target) and rerun import schema: statements already applied are skipped; --continue-on-error true records failures in schema/failed.sql and goes on`;
  const kind = error.code === '42501' ? 'privilege' : 'data';
  return new DbError(kind, what, hint, error.code);
}

function renderFailedFile(failures: readonly FailedStatement[]): string {
  const head =
    `-- yb-voyager import schema: ${failures.length} statement${failures.length > 1 ? 's' : ''} failed in the run of ${new Date().toISOString()}.\n` +
    '-- Fix them in their files (or on the target) and rerun import schema: statements already applied are skipped.\n\n';
  return (
    head +
    failures
      .map(({ statement: s, error }) => {
        const header = s.header ? `-- ${s.header.objectType}: ${s.header.name}\n` : '';
        const err = error.message.split('\n').map((l) => `--   ${l}`).join('\n');
        return `-- file: ${s.file}, line ${s.line}\n-- error${error.code ? ` (SQLSTATE ${error.code})` : ''}:\n${err}\n${header}${s.sql};\n\n`;
      })
      .join('')
  );
}
