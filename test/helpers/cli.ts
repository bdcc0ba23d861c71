/**
 * Run the real CLI (the compiled `dist/src/main.js`) as a child process, the way a user would.
 *
 * Stable API (others depend on it):
 *
 *   const r = await runCli(['export', 'schema', '--export-dir', dir, ...], { env: { SOURCE_DB_PASSWORD: pw } });
 *   r.code    // exit code (null only if killed by a signal; then r.signal says which)
 *   r.stdout  // everything written to stdout, as UTF-8
 *   r.stderr
 *
 *   const cli = startCli(['export', 'data', ...], { env });
 *   await cli.waitForLine(/snapshot done/);            // resolves with the first matching line (stdout or stderr)
 *   await cli.waitForLine('streaming', { stream: 'stdout', timeoutMs: 60_000 });
 *   cli.stdout(); cli.stderr();                        // output so far
 *   const r = await cli.kill9();                       // SIGKILL, then the same result shape as runCli
 *   const r = await cli.stop('SIGINT');                // a signal, waits for exit (SIGKILL after graceMs)
 *   const r = await cli.wait();                        // wait for it to exit by itself
 *
 * Options (both functions):
 *   env        variables set on top of the test's own environment. The password variables
 *              SOURCE_DB_PASSWORD / TARGET_DB_PASSWORD / SOURCE_REPLICA_DB_PASSWORD and YB_VOYAGER_FAILPOINTS
 *              are removed from the inherited environment so a test only sees what it passes; pass
 *              a key with value `undefined` to remove any other inherited variable.
 *   input      text written to stdin, which is then closed (stdin is never a TTY here: closed when no input).
 *   timeoutMs  runCli only: SIGKILL the child after this long and reject (default 120 s); a safety net,
 *              not an assertion.
 *   cwd        working directory (default: the repo root).
 *
 * Every child started here is SIGKILLed when the test process exits, so a failing test leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_START_FLAGS } from '../../src/infra/heap-policy.js';

/** Repo root: this file is dist/test/helpers/cli.js once compiled. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const MAIN_JS = path.join(REPO_ROOT, 'dist', 'src', 'main.js');

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  cwd?: string;
  /**
   * Run the CLI in a session of its own (setsid), as a DBA's terminal does. Linux's autogroup scheduling gives
   * each session one share of the CPUs: in the caller's session a benchmark's CLI processes would share one
   * share with its load generator, while the database servers and native replication's workers (sessions of
   * their own) would not.
   */
  ownSession?: boolean;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface WaitForLineOptions {
  /** Which stream to watch; default both. */
  stream?: 'stdout' | 'stderr' | 'both';
  /** Safety net: reject after this long (default 120 s). */
  timeoutMs?: number;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** First complete line (already printed or printed later) that matches; rejects if the process exits first. */
  waitForLine(pattern: RegExp | string, opts?: WaitForLineOptions): Promise<string>;
  /** Resolves when the process exits by itself. */
  wait(): Promise<CliResult>;
  /** kill -9, then the result. */
  kill9(): Promise<CliResult>;
  /** Send a signal and wait for exit; SIGKILL if it has not exited after graceMs (default 30 s). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<CliResult>;
}

/** Variables a test must pass explicitly, never inherit by accident. */
const SCRUBBED_ENV = ['SOURCE_DB_PASSWORD', 'TARGET_DB_PASSWORD', 'SOURCE_REPLICA_DB_PASSWORD', 'YB_VOYAGER_FAILPOINTS'];

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

function childEnv(extra: CliOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of SCRUBBED_ENV) delete env[k];
  // The test runner sets NODE_TEST_CONTEXT; a child node process that sees it reports to the parent's
  // test protocol instead of its own stdout.
  delete env.NODE_TEST_CONTEXT;
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * node's arguments to run the CLI (`main`, this build's by default) with `args`, as bin/yb-voyager runs it: the
 * start flags first, then any extra node flags.
 */
export function cliArgv(args: readonly string[], main = MAIN_JS, nodeArgs: readonly string[] = []): string[] {
  return [...NODE_START_FLAGS, ...nodeArgs, main, ...args];
}

export function startCli(args: readonly string[], opts: CliOptions = {}): RunningCli {
  // BENCH_NODE_ARGS: extra node flags for the CLI processes of a benchmark (e.g. --cpu-prof --cpu-prof-dir=…).
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, cliArgv(args, MAIN_JS, nodeArgs), {
    cwd: opts.cwd ?? REPO_ROOT,
    env: childEnv(opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: opts.ownSession ?? false,
  });
  live.add(child);
  let out = '';
  let err = '';
  const lineWaiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...lineWaiters]) w();
  };
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (s: string) => {
    out += s;
    notify();
  });
  child.stderr!.on('data', (s: string) => {
    err += s;
    notify();
  });
  child.stdin!.on('error', () => undefined); // the child may exit before reading its input
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  else child.stdin!.end();

  let done = false;
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', (e) => {
      live.delete(child);
      done = true;
      reject(e);
    });
    // 'close' (not 'exit'): all output has been read by then.
    child.once('close', (code, signal) => {
      live.delete(child);
      done = true; // before notify(): waiters must see the exit now, not after a timeout
      resolve({ code, signal, stdout: out, stderr: err });
      notify();
    });
  });

  const waitForLine = (pattern: RegExp | string, wopts: WaitForLineOptions = {}): Promise<string> => {
    const stream = wopts.stream ?? 'both';
    const matches = (line: string) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line));
    const completeLines = (text: string) => {
      const cut = done ? text.length : text.lastIndexOf('\n');
      return cut < 0 ? [] : text.slice(0, cut).split('\n');
    };
    const find = (): string | undefined => {
      const texts = stream === 'stdout' ? [out] : stream === 'stderr' ? [err] : [out, err];
      for (const t of texts) for (const line of completeLines(t)) if (matches(line)) return line;
      return undefined;
    };
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        lineWaiters.delete(check);
        reject(new Error(`no output line matching ${String(pattern)} within ${wopts.timeoutMs ?? 120_000} ms\nstdout:\n${out}\nstderr:\n${err}`));
      }, wopts.timeoutMs ?? 120_000);
      function check() {
        const line = find();
        if (line !== undefined) {
          clearTimeout(timer);
          lineWaiters.delete(check);
          resolve(line);
        } else if (done) {
          clearTimeout(timer);
          lineWaiters.delete(check);
          reject(new Error(`process exited (code ${child.exitCode}, signal ${child.signalCode}) before printing a line matching ${String(pattern)}\nstdout:\n${out}\nstderr:\n${err}`));
        }
      }
      lineWaiters.add(check);
      check();
    });
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<CliResult> => {
    if (!done) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    waitForLine,
    wait: () => exited,
    kill9: () => stop('SIGKILL', 0),
    stop,
  };
}

export async function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const cli = startCli(args, opts);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cli.child.kill('SIGKILL');
      reject(new Error(`yb-voyager ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([cli.wait(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
