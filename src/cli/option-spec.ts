/**
 * One option schema per command: each option declares its flag, type, default, environment variable and
 * whether it is a secret. Flags, config-file keys and env names are all derived from it (see resolve.ts).
 */
export type OptionType = 'string' | 'int' | 'bool' | 'enum' | 'list';
export type OptionValue = string | number | boolean | string[];

export interface OptionSpec {
  /** Flag without leading dashes, as the spec spells it: 'source-db-host'. */
  readonly name: string;
  readonly short?: string;
  readonly type: OptionType;
  readonly description: string;
  readonly choices?: readonly string[];
  readonly default?: OptionValue;
  /** What --help shows as the default when it depends on other flags (the source port depends on its type). */
  readonly defaultNote?: string;
  readonly env?: string;
  readonly secret?: boolean;
  readonly required?: boolean;
  /** Other spellings of the same flag (older doc versions): 'post-import-data'. */
  readonly aliases?: readonly string[];
  readonly hidden?: boolean;
  /** Global options live at the top level of the config file; others in source:/target:/<command>: sections. */
  readonly global?: boolean;
}

/** Where the config file keeps this option: top level, source:, target:, or the command's own section. */
export function configLocation(opt: OptionSpec, commandId: string): { section: string | undefined; key: string } {
  if (opt.global) return { section: undefined, key: opt.name };
  if (opt.name.startsWith('source-')) return { section: 'source', key: opt.name.slice('source-'.length) };
  if (opt.name.startsWith('target-')) return { section: 'target', key: opt.name.slice('target-'.length) };
  return { section: commandId, key: opt.name };
}

const opt = (o: OptionSpec): OptionSpec => o;

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  opt({ name: 'export-dir', short: 'e', type: 'string', global: true, description: 'export directory: holds schema, data, change queue, state and logs of this migration (must exist)' }),
  opt({ name: 'config-file', short: 'c', type: 'string', global: true, description: 'YAML config file (flags win over environment, environment over config file)' }),
  opt({ name: 'log-level', short: 'l', type: 'enum', global: true, choices: ['trace', 'debug', 'info', 'warn', 'error'], default: 'info', description: 'log level of the log file in <export-dir>/logs; debug also prints stack traces' }),
  opt({ name: 'yes', short: 'y', type: 'bool', global: true, default: false, description: 'assume yes to every prompt' }),
  opt({ name: 'send-diagnostics', type: 'bool', global: true, default: false, hidden: true, description: 'accepted for compatibility; this tool never sends anything' }),
];

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

/** The port a source database listens on unless told otherwise, by --source-db-type. */
export const DEFAULT_PORTS: Readonly<Record<string, number>> = { postgresql: 5432, mysql: 3306, oracle: 1521 };

function connectionOptions(side: 'source' | 'target', defaults: { host: string; port: number | undefined }): OptionSpec[] {
  const Side = side === 'source' ? 'source' : 'target';
  const portDefault = defaults.port === undefined
    ? { defaultNote: Object.entries(DEFAULT_PORTS).map(([type, port]) => `${port} for ${type}`).join(', ') }
    : { default: defaults.port };
  return [
    opt({ name: `${side}-db-host`, type: 'string', default: defaults.host, description: `${Side} database host` }),
    opt({ name: `${side}-db-port`, type: 'int', ...portDefault, description: `${Side} database port` }),
    opt({ name: `${side}-db-user`, type: 'string', description: `${Side} database user` }),
    opt({ name: `${side}-db-password`, type: 'string', secret: true, env: `${side.toUpperCase()}_DB_PASSWORD`, description: `${Side} database password (or env ${side.toUpperCase()}_DB_PASSWORD, or a prompt on a terminal)` }),
    opt({ name: `${side}-db-name`, type: 'string', description: `${Side} database name` }),
    opt({ name: `${side}-db-schema`, type: 'list', description: side === 'source' ? 'source schema(s), comma separated' : 'target schema to import into (created if missing)' }),
    opt({ name: `${side}-ssl-mode`, type: 'enum', choices: SSL_MODES, default: 'prefer', description: 'SSL mode: disable, allow, prefer, require, verify-ca, verify-full' }),
    opt({ name: `${side}-ssl-root-cert`, type: 'string', description: 'CA certificate file to verify the server with' }),
    opt({ name: `${side}-ssl-cert`, type: 'string', description: 'client certificate file' }),
    opt({ name: `${side}-ssl-key`, type: 'string', description: 'client private key file' }),
  ];
}

export const SOURCE_TYPE = opt({ name: 'source-db-type', type: 'enum', choices: ['postgresql', 'mysql', 'oracle'], description: 'source database type' });
/** Oracle's ways to name the database besides --source-db-name (its service name); the seed's flags. */
export const ORACLE_CONNECTION: readonly OptionSpec[] = [
  opt({ name: 'oracle-db-sid', type: 'string', description: 'Oracle System Identifier (SID) of the source database (Oracle only)' }),
  opt({ name: 'oracle-tns-alias', type: 'string', description: 'TNS alias of the source database in tnsnames.ora (Oracle only; read from $TNS_ADMIN, else <oracle-home>/network/admin)' }),
  opt({ name: 'oracle-home', type: 'string', env: 'ORACLE_HOME', description: 'Oracle home whose network/admin holds tnsnames.ora for --oracle-tns-alias (Oracle only; default /usr/lib/oracle/21/client64)' }),
];
export const SOURCE_CONNECTION: readonly OptionSpec[] = [SOURCE_TYPE, ...connectionOptions('source', { host: 'localhost', port: undefined }), ...ORACLE_CONNECTION];
export const TARGET_CONNECTION: readonly OptionSpec[] = connectionOptions('target', { host: '127.0.0.1', port: 5433 });

export const SOURCE_PASSWORD = SOURCE_CONNECTION.find((o) => o.name === 'source-db-password')!;
export const TARGET_PASSWORD = TARGET_CONNECTION.find((o) => o.name === 'target-db-password')!;

export const START_CLEAN = opt({ name: 'start-clean', type: 'bool', default: false, description: 'discard what an earlier run of this command left and start over' });
export const DISABLE_PB = opt({ name: 'disable-pb', type: 'bool', default: false, description: 'print plain progress lines instead of progress bars' });
export const PARALLEL_JOBS = opt({ name: 'parallel-jobs', type: 'int', default: 4, description: 'number of parallel workers' });
/** import data's default depends on where the target runs (cli/parallel-jobs.ts), so help says how, not a number. */
export const IMPORT_PARALLEL_JOBS = opt({
  name: 'parallel-jobs', type: 'int', defaultNote: '4, or one per CPU when the target runs on this machine and it has fewer than 4', description: 'number of parallel COPY sessions',
});
export const TABLE_LIST = opt({ name: 'table-list', type: 'list', description: 'comma-separated tables to include (globs * and ?; quote case-sensitive names)' });
export const EXCLUDE_TABLE_LIST = opt({ name: 'exclude-table-list', type: 'list', description: 'comma-separated tables to exclude (globs * and ?)' });
export const MAX_RECONNECT_TIME = opt({
  name: 'max-reconnect-time', type: 'int', default: 300,
  description: 'seconds a long-running process keeps reconnecting to a database it lost (restart, failover) before it stops; 0: stop at once',
});
export const BATCH_SIZE = opt({ name: 'batch-size', type: 'int', default: 100000, description: 'rows per batch; each batch commits with its bookkeeping row in one transaction' });

export { opt };
