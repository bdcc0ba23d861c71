/**
 * Every command of the spec, with the words that name it (both doc versions' spellings), its options,
 * and the module that runs it. A command without `load` prints "not implemented yet".
 */
import {
  BATCH_SIZE, DISABLE_PB, EXCLUDE_TABLE_LIST, IMPORT_PARALLEL_JOBS, PARALLEL_JOBS, SOURCE_CONNECTION, SOURCE_PASSWORD, START_CLEAN,
  TABLE_LIST, TARGET_CONNECTION, TARGET_PASSWORD, opt, type OptionSpec, MAX_RECONNECT_TIME,
} from './option-spec.js';
import type { CommandContext } from './context.js';

export interface CommandModule {
  run(ctx: CommandContext): Promise<void>;
}

export interface CommandSpec {
  /** Canonical id: log file name, lock name, config section. */
  readonly id: string;
  readonly words: readonly string[];
  readonly aliases?: readonly (readonly string[])[];
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  /** Ids of config sections that mean this command too (older spellings). */
  readonly configAliases?: readonly string[];
  readonly load?: () => Promise<CommandModule>;
  /** Commands that only read state may run beside a running instance of themselves. */
  readonly noLock?: boolean;
}

const targetSsl = TARGET_CONNECTION.filter((o) => o.name.startsWith('target-ssl-'));
const sourceSsl = SOURCE_CONNECTION.filter((o) => o.name.startsWith('source-ssl-'));

export const COMMANDS: readonly CommandSpec[] = [
  {
    id: 'export-schema',
    words: ['export', 'schema'],
    summary: 'export the source schema as PostgreSQL DDL into <export-dir>/schema',
    options: [
      ...SOURCE_CONNECTION, START_CLEAN,
      opt({ name: 'oracle-capture-catalog', type: 'string', hidden: true, description: 'Oracle: also write every data-dictionary result to this JSON fixture file (for the replay tests; see docs/oracle.md)' }),
    ],
    load: () => import('./commands/export-schema.js'),
  },
  {
    id: 'analyze-schema',
    words: ['analyze-schema'],
    summary: 'report what in the exported schema will not work, or needs care, on YugabyteDB',
    load: () => import('./commands/analyze-schema.js'),
    options: [
      opt({ name: 'output-format', type: 'enum', choices: ['html', 'txt', 'json', 'xml'], default: 'html', description: 'report format, written to <export-dir>/reports/schema_analysis_report.<format>' }),
    ],
  },
  {
    id: 'import-schema',
    words: ['import', 'schema'],
    summary: 'apply the exported schema to the target database',
    load: () => import('./commands/import-schema.js'),
    options: [
      ...TARGET_CONNECTION,
      opt({ name: 'post-snapshot-import', type: 'bool', default: false, aliases: ['post-import-data'], description: 'create the indexes and triggers left out before the data import' }),
      opt({ name: 'ignore-exist', type: 'bool', default: false, description: 'continue over objects that already exist' }),
      opt({ name: 'continue-on-error', type: 'bool', default: false, description: 'record failing statements in schema/failed.sql and go on' }),
      START_CLEAN,
    ],
  },
  {
    id: 'export-data-from-source',
    words: ['export', 'data', 'from', 'source'],
    aliases: [['export', 'data']],
    configAliases: ['export-data'],
    summary: 'export a consistent snapshot of the source data, then (snapshot-and-changes) stream its changes',
    load: () => import('./commands/export-data-from-source.js'),
    options: [
      ...SOURCE_CONNECTION,
      opt({ name: 'export-type', type: 'enum', choices: ['snapshot-only', 'snapshot-and-changes'], default: 'snapshot-only', description: 'snapshot-only, or snapshot-and-changes for a live migration' }),
      PARALLEL_JOBS, TABLE_LIST, EXCLUDE_TABLE_LIST, START_CLEAN, DISABLE_PB, MAX_RECONNECT_TIME,
    ],
  },
  {
    id: 'import-data-to-target',
    words: ['import', 'data', 'to', 'target'],
    aliases: [['import', 'data']],
    configAliases: ['import-data'],
    summary: 'import the snapshot into the target, then apply the streamed changes',
    load: () => import('./commands/import-data-to-target.js'),
    options: [
      ...TARGET_CONNECTION, IMPORT_PARALLEL_JOBS, BATCH_SIZE, TABLE_LIST, EXCLUDE_TABLE_LIST, START_CLEAN,
      opt({ name: 'truncate-tables', type: 'bool', default: false, description: 'with --start-clean: truncate the target tables first' }),
      DISABLE_PB, MAX_RECONNECT_TIME,
    ],
  },
  {
    id: 'export-data-from-target',
    words: ['export', 'data', 'from', 'target'],
    summary: 'after cutover to target: stream the target\'s changes for the fall-back (normally started by cutover)',
    load: () => import('./commands/export-data-from-target.js'),
    options: [TARGET_PASSWORD, ...targetSsl, DISABLE_PB, MAX_RECONNECT_TIME],
  },
  {
    id: 'import-data-to-source',
    words: ['import', 'data', 'to', 'source'],
    summary: 'after cutover to target: apply the target\'s changes to the source (normally started by cutover)',
    load: () => import('./commands/import-data-to-source.js'),
    options: [SOURCE_PASSWORD, ...sourceSsl, PARALLEL_JOBS, BATCH_SIZE, DISABLE_PB, MAX_RECONNECT_TIME],
  },
  {
    id: 'initiate-cutover-to-target',
    words: ['initiate', 'cutover', 'to', 'target'],
    summary: 'request cutover to the target: drain the changes, restore sequences, start the fall-back stream',
    load: () => import('./commands/initiate-cutover-to-target.js'),
    options: [opt({ name: 'prepare-for-fall-back', type: 'bool', description: 'stream the target\'s changes back to the source after cutover (true|false)' })],
  },
  {
    id: 'initiate-cutover-to-source',
    words: ['initiate', 'cutover', 'to', 'source'],
    summary: 'request cutover back to the source (after a cutover to target with fall-back)',
    load: () => import('./commands/initiate-cutover-to-source.js'),
    options: [],
  },
  {
    id: 'cutover-status',
    words: ['cutover', 'status'],
    summary: 'show the state of each cutover direction',
    load: () => import('./commands/cutover-status.js'),
    options: [],
    noLock: true,
  },
  {
    id: 'archive-changes',
    words: ['archive', 'changes'],
    summary: 'move or delete change-queue segments every importer has applied',
    load: () => import('./commands/archive-changes.js'),
    options: [
      opt({ name: 'move-to', type: 'string', description: 'move applied segments to this directory' }),
      opt({ name: 'delete', type: 'bool', default: false, aliases: ['delete-changes-without-archiving'], description: 'delete applied segments' }),
      opt({ name: 'policy', type: 'enum', choices: ['delete', 'archive'], description: 'delete or archive applied segments' }),
      opt({ name: 'archive-dir', type: 'string', description: 'with --policy archive: where segments go' }),
      opt({ name: 'fs-utilization-threshold', type: 'int', default: 70, description: 'with --policy delete: act when the export dir\'s file system is fuller than this percentage' }),
    ],
  },
  {
    id: 'get-data-migration-report',
    words: ['get', 'data-migration-report'],
    summary: 'rows and change events exported and imported, per table and database',
    load: () => import('./commands/get-data-migration-report.js'),
    options: [
      opt({ name: 'output-format', type: 'enum', choices: ['table', 'json', 'html'], default: 'table', description: 'table; json (the whole report, time series included); html (prints the path of the page). Every run writes reports/data-migration-report.json and .html' }),
      SOURCE_PASSWORD, TARGET_PASSWORD,
    ],
    noLock: true,
  },
  {
    id: 'verify-data',
    words: ['verify', 'data'],
    summary: 'prove the target holds the same rows as the source, row by row (chunk digests, then the rows that differ)',
    load: () => import('./commands/verify-data.js'),
    options: [
      SOURCE_PASSWORD, ...sourceSsl, TARGET_PASSWORD, ...targetSsl, TABLE_LIST, EXCLUDE_TABLE_LIST, PARALLEL_JOBS,
      opt({ name: 'output-format', type: 'enum', choices: ['table', 'json'], default: 'table', description: 'table, or json (also written to reports/verify-data.json)' }),
      opt({ name: 'recheck-time', type: 'int', default: 60, description: 'while changes stream: seconds to re-check differing rows until the importer has applied past them' }),
      DISABLE_PB,
    ],
    noLock: true,
  },
  {
    id: 'end-migration',
    words: ['end', 'migration'],
    summary: 'stop this migration\'s processes, back up what is asked, drop every slot, publication and metadata schema',
    load: () => import('./commands/end-migration.js'),
    options: [
      opt({ name: 'backup-log-files', type: 'bool', required: true, description: 'save the log files in --backup-dir' }),
      opt({ name: 'backup-data-files', type: 'bool', required: true, description: 'save the data files in --backup-dir' }),
      opt({ name: 'backup-schema-files', type: 'bool', required: true, description: 'save the schema files in --backup-dir' }),
      opt({ name: 'save-migration-reports', type: 'bool', required: true, description: 'save the migration reports in --backup-dir' }),
      opt({ name: 'backup-dir', type: 'string', description: 'where to save backups (required when any backup flag is true)' }),
      SOURCE_PASSWORD, TARGET_PASSWORD,
    ],
  },
];

/** Longest match of argv's leading words against every command's words and aliases. */
export function matchCommand(argv: readonly string[]): { spec: CommandSpec; consumed: number } | undefined {
  let best: { spec: CommandSpec; consumed: number } | undefined;
  for (const spec of COMMANDS) {
    for (const words of [spec.words, ...(spec.aliases ?? [])]) {
      if (words.length <= argv.length && words.every((w, i) => argv[i] === w)) {
        if (!best || words.length > best.consumed) best = { spec, consumed: words.length };
      }
    }
  }
  return best;
}
