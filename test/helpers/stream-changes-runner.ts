#!/usr/bin/env node
/**
 * Runs streamChanges() in a process of its own, like `export data from source` does once its snapshot is
 * done, so tests can kill -9 it (failpoints via YB_VOYAGER_FAILPOINTS) and rerun it.
 *
 *   node dist/test/helpers/stream-changes-runner.js <export-dir> '<ConnSettings JSON>'
 *   (password in SOURCE_DB_PASSWORD; SIGTERM/SIGINT stop at a transaction boundary; exit 0 when stopped)
 */
import { createOutput } from '../../src/cli/render/output.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { exitCodeFor, VoyagerError } from '../../src/infra/errors.js';
import { createLogger } from '../../src/infra/logger.js';
import { installShutdown } from '../../src/infra/shutdown.js';
import { streamChanges } from '../../src/workflows/stream-changes.js';
import { postgresEngine } from '../../src/adapters/postgres/engine.js';

const [dirArg, settingsJson] = process.argv.slice(2);
const exportDir = ExportDir.open(dirArg);
const state = StateStore.open(exportDir.stateDb);
const log = createLogger(exportDir.logFile('stream-changes-runner'), 'debug');
const shutdown = installShutdown(() => process.exit(130));
try {
  await streamChanges(
    { db: { engine: postgresEngine, conn: { settings: JSON.parse(settingsJson), secret: { password: process.env.SOURCE_DB_PASSWORD ?? '' } } }, state, exportDir, log, out: createOutput(), groupCommitMs: Number(process.env.GROUP_COMMIT_MS ?? 50) },
    shutdown.signal,
  );
  process.exitCode = 0;
} catch (e) {
  process.stderr.write(`Error: ${e instanceof VoyagerError ? e.oneLine() : String((e as Error)?.stack ?? e)}\n`);
  log.error('failed', { err: e });
  process.exitCode = exitCodeFor(e);
} finally {
  shutdown.dispose();
  state.close();
  log.close();
}
