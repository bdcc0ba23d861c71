/**
 * Importer-only latency (not a test): one small transaction committed to the queue every --interval ms for
 * --seconds; for each, the time until it is visible in the target. Prints p50/p99/max.
 *
 * --target-delay-ms D: the importer reaches the target through a proxy (a process of its own) that holds every
 * packet D ms each way, as a target across a network would (a round trip of 2 × D ms); the watcher reads the
 * target directly, so only the importer pays the delay.
 *
 *   node dist/bench/apply-latency.js [--interval 5] [--seconds 10] [--target-delay-ms 0]
 */
import { runChangeApply, TO_TARGET } from '../src/workflows/apply-changes.js';
import { ApplyRig, c, capturingLogger, commit } from '../test/helpers/apply-rig.js';
import { MIGRATION_PASSWORD, PgCluster } from '../test/helpers/pg-cluster.js';
import { postgresEngine } from '../src/adapters/postgres/engine.js';
import { startDelayProxy } from './bench-helpers.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const INTERVAL = arg('interval', 5);
const SECONDS = arg('seconds', 10);
const TARGET_DELAY_MS = arg('target-delay-ms', 0);

const cluster = await PgCluster.start();
const rig = await ApplyRig.create(cluster);
const proxy = TARGET_DELAY_MS > 0 ? await startDelayProxy(rig.settings.host, rig.settings.port, TARGET_DELAY_MS) : undefined;
try {
  await rig.sql('CREATE TABLE hb (id int PRIMARY KEY, t bigint)');
  const ac = new AbortController();
  const settings = proxy ? { ...rig.settings, host: '127.0.0.1', port: proxy.port } : rig.settings;
  const run = runChangeApply(
    { db: { engine: postgresEngine, conn: { settings, secret: { password: MIGRATION_PASSWORD } } }, state: rig.state, exportDir: rig.dir, log: capturingLogger([]), out: rig.out },
    TO_TARGET, ac.signal, { metricsIntervalMs: 60_000 },
  );
  const watcher = await cluster.connectAdmin(rig.db);
  const sent = new Map<number, number>();
  const lags: number[] = [];
  let stop = false;
  const watch = (async () => {
    let last = 0;
    while (!stop) {
      const r = await watcher.query<{ m: string | null }>('SELECT max(id) AS m FROM hb');
      const m = Number(r.rows[0].m ?? 0);
      const now = performance.now();
      for (let k = last + 1; k <= m; k++) lags.push(now - sent.get(k)!);
      last = m;
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  const t0 = Date.now();
  let n = 0;
  while (Date.now() - t0 < SECONDS * 1000) {
    n++;
    sent.set(n, performance.now());
    rig.push([c('hb', { id: String(n), t: String(Date.now()) }), commit()]);
    await new Promise((r) => setTimeout(r, INTERVAL));
  }
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await watch;
  await watcher.end();
  ac.abort();
  await run;
  lags.sort((a, b) => a - b);
  const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))].toFixed(1);
  console.log(`${lags.length} transactions, one every ${INTERVAL} ms${proxy ? `, target ${TARGET_DELAY_MS} ms away each way` : ''}: queue commit → visible on the target p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${lags[lags.length - 1].toFixed(1)} ms`);
} finally {
  proxy?.stop();
  rig.close();
  await cluster.stop();
}
