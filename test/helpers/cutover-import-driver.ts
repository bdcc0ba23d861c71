/**
 * A child process that runs the forward importer's changes part (import data to target: apply until the
 * cutover marker, then the importer's cutover steps) on an export dir, for crash tests at the cutover
 * failpoints. Exits 0 once it returns.
 *
 *   node dist/test/helpers/cutover-import-driver.js '<json: {exportDir, settings}>'   (password in TARGET_DB_PASSWORD)
 */
import type { ConnSettings } from '../../src/core/connection.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { createLogger } from '../../src/infra/logger.js';
import { importChangesToTarget } from '../../src/workflows/fall-back.js';
import { postgresEngine } from '../../src/adapters/postgres/engine.js';
import { CapturedOutput } from './apply-rig.js';

const { exportDir, settings } = JSON.parse(process.argv[2]) as { exportDir: string; settings: ConnSettings };
const dir = ExportDir.open(exportDir);
const state = StateStore.open(dir.stateDb);
const log = createLogger(dir.logFile('cutover-import-driver'), 'info');
const out = new CapturedOutput();
try {
  const target = { engine: postgresEngine, conn: { settings, secret: { password: process.env.TARGET_DB_PASSWORD ?? '' } } };
  await importChangesToTarget({ exportDir: dir, state, log, out, signal: new AbortController().signal }, target, {});
  process.stdout.write(out.lines.join('\n') + '\n');
} catch (e) {
  process.stderr.write(`import failed: ${(e as Error).stack}\n`);
  process.exitCode = 1;
} finally {
  state.close();
  log.close();
}
