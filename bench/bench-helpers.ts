/** Pieces the change benchmarks share: process CPU and RSS from /proc, the heartbeat watch, the walsender's decode ceiling. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATION_PASSWORD, MIGRATION_USER, type PgCluster } from '../test/helpers/pg-cluster.js';
import { asUser } from '../test/helpers/servers.js';

/**
 * The machine a run was measured on, printed first: figures from two machines of the same size differ by more
 * than any lever (2026-12-07: the walsender took 6.6 s of CPU on one 2-core machine for what took it 1.1 s on
 * another), so a figure is only read next to its machine.
 */
export function machineLine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`;
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** From now: returns the CPU seconds each named process has used since, as one line. */
export function cpuSince(pids: Record<string, number>): () => string {
  const start = Object.entries(pids).map(([name, pid]) => ({ name, pid, at: cpuSeconds(pid) }));
  return () => start.map(({ name, pid, at }) => `${name} ${(cpuSeconds(pid) - at).toFixed(1)} s`).join(', ');
}

/** Peak VmRSS (MB) of processes, sampled every 500 ms until stop(). */
export class RssSampler {
  private readonly peaks = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly watched = new Map<string, number>();

  constructor() {
    this.timer = setInterval(() => this.sample(), 500);
  }

  watch(name: string, pid: number): void {
    this.watched.set(name, pid);
  }

  private sample(): void {
    for (const [name, pid] of this.watched) {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, Number(m[1]) / 1024));
      } catch {
        /* exited */
      }
    }
  }

  peak(name: string): number {
    return Math.round(this.peaks.get(name) ?? 0);
  }

  /** Forget the peaks so far (a new phase starts). */
  reset(): void {
    this.peaks.clear();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface DrainOptions {
  cluster: PgCluster;
  db: string;
  slot: string;
  publication: string;
  endLsn: string;
  /** Over TCP with the migration user (as our exporter and a subscription connect), else the Unix socket. */
  tcp: boolean;
}

/**
 * `pg_recvlogical --endpos` draining a slot into /dev/null: the walsender's decode ceiling, the physical
 * limit of any consumer. Returns the wall time and the walsender's CPU (sampled while it runs).
 */
export async function recvlogicalDrain(o: DrainOptions): Promise<{ seconds: number; walsenderCpu: number }> {
  const conn = o.tcp ? ['-h', '127.0.0.1', '-U', MIGRATION_USER] : ['-h', o.cluster.socketDir!, '-U', 'postgres'];
  const [cmd, args] = asUser('postgres', path.join(o.cluster.binDir, 'pg_recvlogical'), [
    ...conn, '-p', String(o.cluster.port), '-d', o.db, '-S', o.slot, '--start', '--endpos', o.endLsn,
    '-o', 'proto_version=1', '-o', `publication_names=${o.publication}`, '-f', '/dev/null', '--no-loop',
  ]);
  const t = Date.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, PGPASSWORD: MIGRATION_PASSWORD } });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let walsender = NaN;
  let walsenderCpu = NaN;
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    if (!(walsender > 0)) {
      const r = await o.cluster.query<{ p: string }>('SELECT active_pid AS p FROM pg_replication_slots WHERE slot_name = $1', [o.slot], o.db);
      walsender = Number(r.rows[0]?.p);
    }
    const c = cpuSeconds(walsender);
    if (!Number.isNaN(c)) walsenderCpu = c;
    await new Promise((r) => setTimeout(r, 20));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`pg_recvlogical exited ${code}`);
  return { seconds: (Date.now() - t) / 1000, walsenderCpu };
}

/** Resolves with the time (Date.now()) heartbeat `n` (column `n` of row 1 of table `hb`) is first seen in `db`. */
export async function heartbeatSeen(cluster: PgCluster, db: string, n: number, timeoutMs = 1_800_000): Promise<number> {
  const c = await cluster.connectAdmin(db);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await c.query<{ n: string }>('SELECT n FROM hb WHERE id = 1');
      if (Number(r.rows[0]?.n ?? 0) >= n) return Date.now();
      if (Date.now() > deadline) throw new Error(`heartbeat ${n} never reached ${db}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await c.end();
  }
}

export interface Timed {
  secs: number;
  peakRssMb?: number;
}

/** Run a command to completion; polls VmHWM of the child for node processes (ours). */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, watchRss: boolean): Promise<Timed & { stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    let peak = 0;
    const timer = watchRss
      ? setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) peak = Math.max(peak, Number(m[1]) / 1024);
          } catch {
            /* exited */
          }
        }, 100)
      : undefined;
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) reject(new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} failed (${code}): ${err.slice(-2000)}`));
      else resolve({ secs, peakRssMb: watchRss ? Math.round(peak) : undefined, stdout: out });
    });
  });
}

/**
 * A TCP proxy to host:port in a process of its own that holds every chunk `delayMs` before passing it on, in both
 * directions (order kept: timers of one duration fire in the order set). Resolves with the port it listens on.
 */
export async function startDelayProxy(host: string, port: number, delayMs: number): Promise<{ port: number; stop: () => void }> {
  const script = `
    const net = require('node:net');
    const pass = (from, to) => from.on('data', (b) => setTimeout(() => to.write(b), ${delayMs}));
    const server = net.createServer((client) => {
      const upstream = net.connect(${port}, ${JSON.stringify(host)});
      client.setNoDelay(true); upstream.setNoDelay(true);
      pass(client, upstream); pass(upstream, client);
      const close = () => { client.destroy(); upstream.destroy(); };
      client.on('close', close); upstream.on('close', close); client.on('error', close); upstream.on('error', close);
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const listening = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (b) => resolve(Number(String(b).trim())));
    child.once('exit', (code) => reject(new Error(`the delay proxy exited (${code})`)));
  });
  return { port: listening, stop: () => child.kill() };
}
