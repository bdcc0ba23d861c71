/**
 * A child process that applies the change queue of an export dir to a target with the real workflow, for
 * crash tests (kill -9 at failpoints or at random moments). Exits 0 when it reaches the cutover marker.
 *
 *   node dist/test/helpers/apply-driver.js '<json: {exportDir, settings}>'   (password in TARGET_DB_PASSWORD)
 */
import type { ConnSettings } from '../../src/core/connection.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { setGcPolicy } from '../../src/infra/heap-policy.js';
import { createLogger } from '../../src/infra/logger.js';
import { runChangeApply, TO_TARGET } from '../../src/workflows/apply-changes.js';
import { CapturedOutput } from './apply-rig.js';
import { postgresEngine } from '../../src/adapters/postgres/engine.js';

// As the CLI does (main.ts): the benchmarks measure this process's memory.
setGcPolicy();
const { exportDir, settings } = JSON.parse(process.argv[2]) as { exportDir: string; settings: ConnSettings };
const dir = ExportDir.open(exportDir);
const state = StateStore.open(dir.stateDb);
const log = createLogger(dir.logFile('apply-driver'), 'info');
const out = new CapturedOutput();
const ac = new AbortController();
process.on('SIGINT', () => ac.abort());
try {
  const r = await runChangeApply(
    { db: { engine: postgresEngine, conn: { settings, secret: { password: process.env.TARGET_DB_PASSWORD ?? '' } } }, state, exportDir: dir, log, out, onMarker: async () => 'stop' },
    TO_TARGET,
    ac.signal,
  );
  const ru = process.resourceUsage();
  // Peak RSS and CPU time of this process, for the benchmarks.
  process.stdout.write(JSON.stringify({ ...r, maxRssMb: Math.round(ru.maxRSS / 1024), cpuSeconds: (ru.userCPUTime + ru.systemCPUTime) / 1e6 }) + '\n');
  process.exitCode = r.stoppedBy === 'marker' ? 0 : 3;
} catch (e) {
  process.stderr.write(`apply failed: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  state.close();
  log.close();
}
