#!/usr/bin/env node
/**
 * Entry point: parse argv, set up the command's context (export dir, log file, lock, state store),
 * run it, and map whatever it throws to a one-line message and an exit code. The only place that exits.
 */
import { loadConfigFile } from './cli/config-file.js';
import type { CommandContext } from './cli/context.js';
import { parseArgv } from './cli/parse-argv.js';
import { createOutput } from './cli/render/output.js';
import { resolveOptions, type ResolvedOptions } from './cli/resolve.js';
import { ExportDir } from './export-dir/layout.js';
import { acquireLock, lockLossInstead, type Lock } from './export-dir/lock.js';
import { StateStore } from './export-dir/state-store.js';
import { EXIT_CODES, exitCodeFor, normalizeError, NotImplementedError, VoyagerError } from './infra/errors.js';
import { setGcPolicy } from './infra/heap-policy.js';
import { createLogger, nullLogger, redact, registerSecret, type Logger, type LogLevel } from './infra/logger.js';
import { installShutdown } from './infra/shutdown.js';

export const VERSION = '0.1.0';

/** The running command's log (for the beforeExit guard below). */
let activeLog: Logger = nullLogger;

async function main(argv: string[]): Promise<number> {
  setGcPolicy();
  const out = createOutput();
  let log: Logger = nullLogger;
  let options: ResolvedOptions | undefined;
  let lock: Lock | undefined;
  let state: StateStore | undefined;
  let commandLogId: number | undefined;
  const shutdown = installShutdown(() => process.exit(EXIT_CODES.interrupted));
  try {
    const parsed = parseArgv(argv);
    if (parsed.kind === 'help') {
      out.line(parsed.text);
      return 0;
    }
    if (parsed.kind === 'version') {
      out.line(`yb-voyager ${VERSION}`);
      return 0;
    }
    const { spec, flags } = parsed;
    // argv may hold --source-db-password: keep it out of `ps` (best effort: Linux rewrites the visible argv).
    process.title = `yb-voyager ${spec.words.join(' ')}`;
    const configPath = flags.get('config-file') as string | undefined;
    const config = configPath ? loadConfigFile(configPath) : undefined;
    options = resolveOptions(spec, flags, process.env, config);
    for (const name of ['source-db-password', 'target-db-password']) if (options.has(name)) registerSecret(options.str(name));
    if (!spec.load) throw new NotImplementedError(spec.words.join(' '));

    const exportDir = ExportDir.open(options.str('export-dir'));
    log = activeLog = createLogger(exportDir.logFile(spec.id), options.str('log-level') as LogLevel);
    log.info(`yb-voyager ${VERSION} ${spec.words.join(' ')}`, { pid: process.pid, options: options.describe() });
    if (!spec.noLock) lock = acquireLock(exportDir.lockFile(spec.id), spec.words.join(' '));
    state = StateStore.open(exportDir.stateDb);
    state.migration();
    if (!['get-data-migration-report', 'cutover-status', 'end-migration'].includes(spec.id)) state.assertNotEnded();
    commandLogId = state.logCommandStart(spec.id);

    const mod = await spec.load();
    const ctx: CommandContext = { spec, options, exportDir, state, log, out, signal: shutdown.signal };
    await mod.run(ctx);
    log.info('command finished');
    state.logCommandEnd(commandLogId, 0);
    return 0;
  } catch (thrown) {
    // Files of a removed export dir fail wherever they are touched first: the removal is what the user must hear.
    const err = lockLossInstead(normalizeError(thrown));
    const code = exitCodeFor(err);
    // Before the options resolve (a bad flag, a bad config file) the level can only come from argv.
    const level = options?.str('log-level') ?? flagValue(argv, '--log-level', '-l');
    const debug = level === 'debug' || level === 'trace';
    const message =
      err instanceof VoyagerError
        ? err.oneLine()
        : `unexpected error: ${(err as Error)?.message ?? String(err)}; this is a bug in yb-voyager: rerun with --log-level debug and report the output and the log file in <export-dir>/logs`;
    process.stderr.write(redact(`Error: ${message}`) + '\n');
    if (debug && err instanceof Error && err.stack) process.stderr.write(redact(err.stack) + '\n');
    log.error(message, { err: thrown }); // the original error, with its stack and cause, for the log
    if (state && commandLogId !== undefined) {
      try { state.logCommandEnd(commandLogId, code); } catch { /* the store may be the thing that failed */ }
    }
    return code;
  } finally {
    shutdown.dispose();
    lock?.release();
    state?.close();
    log.close();
  }
}

/** `--flag value` or `--flag=value` (or the short form) straight from argv. */
function flagValue(argv: readonly string[], long: string, short: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === long || argv[i] === short) return argv[i + 1];
    if (argv[i].startsWith(`${long}=`)) return argv[i].slice(long.length + 1);
  }
  return undefined;
}

/**
 * Node exits with status 0 once nothing is left that could wake a pending promise (a connection that closed
 * without any error reaching the code waiting on it). For a migration command that would read as success:
 * main() has not returned when this fires (process.exit does not emit it), so say so and fail instead.
 */
process.once('beforeExit', () => {
  const message = 'internal error: the command stopped with its work unfinished (it was waiting on a connection that closed without reporting an error); rerun the same command: it resumes where it stopped; please report the log file in <export-dir>/logs';
  activeLog.error(message);
  activeLog.close();
  process.stderr.write(`Error: ${message}\n`);
  process.exit(EXIT_CODES.internal);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(redact(`Error: ${String(err)}`) + '\n');
    process.exit(EXIT_CODES.internal);
  },
);
