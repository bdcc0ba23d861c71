/**
 * What the live-migration end-to-end tests (and the demo) share: a source and a target cluster with one
 * fresh database each, the CLI processes a test starts, and polling for a condition.
 */
import assert from 'node:assert/strict';
import type pg from 'pg';
import { runCli, startCli, type RunningCli } from './cli.js';
import { PgCluster } from './pg-cluster.js';

export interface SourceAndTarget {
  source: PgCluster;
  target: PgCluster;
  srcDb: string;
  tgtDb: string;
}

/** Two private clusters, each with a new database named after `prefix`; `setupSource` fills the source's. */
export async function startSourceAndTarget(prefix: string, setupSource: (admin: pg.Client) => Promise<void>): Promise<SourceAndTarget> {
  const [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  const srcDb = await source.createDatabase(prefix);
  const tgtDb = await target.createDatabase(prefix);
  const c = await source.connectAdmin(srcDb);
  try {
    await setupSource(c);
  } finally {
    await c.end();
  }
  return { source, target, srcDb, tgtDb };
}

export interface CliSession {
  /** Start a command in the background; `extraEnv` goes on top of the session's. */
  start(args: string[], extraEnv?: Record<string, string>): RunningCli;
  /** Run a command to its end; fails the test unless it exits 0. Returns its stdout. */
  cli(args: string[]): Promise<string>;
  /** kill -9 whatever is still running (for after()). */
  killAll(): Promise<void>;
}

export function cliSession(env: Record<string, string>): CliSession {
  const running = new Set<RunningCli>();
  return {
    start(args, extraEnv = {}) {
      const p = startCli(args, { env: { ...env, ...extraEnv } });
      running.add(p);
      void p.wait().finally(() => running.delete(p));
      return p;
    },
    async cli(args) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 0, `yb-voyager ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    },
    async killAll() {
      for (const p of running) await p.kill9().catch(() => undefined);
    },
  };
}

/** The STATUS column of `cutover status` for one direction ('source → target' or 'target → source'). */
export async function cutoverStatus(cli: CliSession['cli'], exportDir: string, direction: 'source → target' | 'target → source'): Promise<string> {
  const out = await cli(['cutover', 'status', '--export-dir', exportDir]);
  const line = out.split('\n').find((l) => l.startsWith(direction));
  assert.ok(line, `no ${direction} row in:\n${out}`);
  return line.split('|')[1].trim();
}

/** Call `fn` every `intervalMs` until it returns a value; throws after `timeoutMs`. */
export async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** After end migration: no replication slot, publication or metadata schema is left in `db`. */
export async function assertNothingLeft(cluster: PgCluster, db: string): Promise<void> {
  const c = await cluster.connectAdmin(db);
  try {
    const r = await c.query(`SELECT (SELECT count(*) FROM pg_replication_slots) AS slots, (SELECT count(*) FROM pg_publication) AS pubs,
      (SELECT count(*) FROM pg_namespace WHERE nspname = 'ybvoyager_metadata') AS meta`);
    assert.deepEqual(r.rows[0], { slots: '0', pubs: '0', meta: '0' }, `left behind in ${db}`);
  } finally {
    await c.end();
  }
}

/** "if it stops, restart it with: yb-voyager …" → argv (the password comes from the environment). */
export function printedRestart(p: RunningCli, password: string): string[] {
  const line = p.stdout().split('\n').find((l) => l.includes('restart it with: yb-voyager'));
  assert.ok(line, `no restart command printed:\n${p.stdout()}`);
  const cmd = line.slice(line.indexOf('yb-voyager') + 'yb-voyager'.length).trim();
  assert.match(cmd, /--(source|target)-db-password '\*\*\*'$/, 'the password is shown as ***');
  assert.ok(!cmd.includes(password));
  return cmd.replace(/ --(source|target)-db-password '\*\*\*'$/, '').split(' ');
}
