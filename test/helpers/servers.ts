/**
 * Shared plumbing for the private test servers: temp dirs, free loopback ports, running as an
 * unprivileged OS user when we are root, and killing every server we started when the process exits.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const running = new Set<ChildProcess>();

/**
 * Each server runs in a process group of its own (it is started through runuser when we are root): killing
 * the group reaches the server itself, not only the wrapper that started it.
 */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}

function killAllServers(): void {
  for (const child of running) killGroup(child, 'SIGKILL');
}

process.on('exit', killAllServers);
// A test process stopped by a signal (the runner's timeout, Ctrl-C, kill) runs no 'exit' handler by default:
// take the servers down, then die of the same signal.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAllServers();
    process.kill(process.pid, signal);
  });
}

export const isRoot = process.getuid?.() === 0;

export function makeTempDir(prefix: string, owner?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  if (owner && isRoot) execFileSync('chown', ['-R', `${owner}:${owner}`, dir]);
  return dir;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Argv that runs `cmd` as `user` when we are root (PostgreSQL refuses to run as root), directly otherwise. */
export function asUser(user: string, cmd: string, args: string[]): [string, string[]] {
  if (!isRoot) return [cmd, args];
  return ['setpriv', ['--reuid', user, '--regid', user, '--init-groups', '--', cmd, ...args]];
}

export function runAs(user: string, cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const [c, a] = asUser(user, cmd, args);
  return execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd ?? os.tmpdir() });
}

/** Start a long-running server; it is killed when this test process exits, whatever happens. */
export function spawnServer(user: string, cmd: string, args: string[], logFile: string): ChildProcess {
  const [c, a] = asUser(user, cmd, args);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(c, a, { stdio: ['ignore', out, out], cwd: os.tmpdir(), detached: true });
  fs.closeSync(out);
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

export async function stopServer(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function waitFor<T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`timed out waiting for ${what}: ${String(last)}`);
}
