/**
 * What every demo script shares: numbered headings, running the CLI as a user would (the command printed, then
 * its output), background processes with labelled output, and the clean-up of everything the demo started —
 * at the end, on a failure and on Ctrl-C (a second Ctrl-C quits at once).
 *
 *   runDemo({ SOURCE_DB_PASSWORD: …, TARGET_DB_PASSWORD: … }, async (demo) => {
 *     demo.servers.push(server);          // stopped at clean-up
 *     await demo.run(['export', 'schema', ...]);
 *   });
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startCli, type RunningCli } from '../test/helpers/cli.js';
import { poll } from '../test/helpers/live-rig.js';

export const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
export const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Stoppable {
  stop(): Promise<unknown>;
}

function show(args: readonly string[]): void {
  const printable = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ');
  console.log(bold(`$ yb-voyager ${printable}`));
}

function indent(text: string, label = ''): string {
  return text.split('\n').filter((l) => l.length).map((l) => dim(`  ${label}${l}`)).join('\n');
}

export class DemoSession {
  /** Application workloads: stopped first at clean-up. */
  readonly workloads = new Set<Stoppable>();
  /** Database servers: stopped last at clean-up. */
  readonly servers: Stoppable[] = [];
  readonly exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-voyager-demo-'));
  interrupted = false;
  private step = 0;
  private readonly processes = new Set<RunningCli>();
  private cleaningUp: Promise<void> | undefined;

  constructor(private readonly env: Record<string, string>) {}

  heading(text: string): void {
    console.log(`\n${bold(`== ${++this.step}. ${text}`)}`);
  }

  /** Run a command to completion, print its output; a failure stops the demo. */
  async run(args: string[]): Promise<string> {
    if (this.interrupted) throw new Error('interrupted');
    show(args);
    const r = await runCli(args, { env: this.env, timeoutMs: 300_000 });
    const out = (r.stdout + r.stderr).trim();
    if (out) console.log(indent(out));
    if (r.code !== 0) throw new Error(`yb-voyager ${args.slice(0, 4).join(' ')} exited with ${r.code}`);
    return r.stdout;
  }

  /** Start a long-running command in the background; its output is printed as it comes, labelled. */
  background(initialLabel: string, args: string[]): RunningCli {
    let label = initialLabel;
    if (this.interrupted) throw new Error('interrupted');
    show(args);
    console.log(dim(`  (running in the background; its output is shown as [${label}])`));
    const p = startCli(args, { env: this.env });
    this.processes.add(p);
    void p.wait().finally(() => this.processes.delete(p));
    let carry = '';
    const print = (chunk: string) => {
      const text = carry + chunk;
      const cut = text.lastIndexOf('\n');
      carry = text.slice(cut + 1);
      for (const line of cut >= 0 ? text.slice(0, cut).split('\n') : []) {
        console.log(indent(line, `[${label}] `));
        // After cutover the process carries on as its fall-back counterpart: label it so.
        const m = /now continues as: (.+)$/.exec(line);
        if (m) label = m[1].trim();
      }
    };
    p.child.stdout!.on('data', print);
    p.child.stderr!.on('data', print);
    return p;
  }

  until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
    return poll(what, fn, 180_000, 500);
  }

  /** The state `cutover status` prints for a direction ('source → target'…). */
  async cutoverStatus(direction: string): Promise<string> {
    const r = await runCli(['cutover', 'status', '--export-dir', this.exportDir], { env: this.env });
    return r.stdout.split('\n').find((l) => l.startsWith(direction))?.split('|')[1].trim() ?? '?';
  }

  /** `export data from source` and `import data to target` in the background, the importer once the exporter holds its lock. */
  async startDataMigration(exportArgs: string[], importArgs: string[]): Promise<{ exporter: RunningCli; importer: RunningCli }> {
    const exporter = this.background('export data from source', ['export', 'data', 'from', 'source', ...exportArgs, '--export-type', 'snapshot-and-changes', '--disable-pb', 'true']);
    // import data waits for a running exporter, which it recognises by its lock file.
    await this.until('export data to start', async () => (fs.existsSync(path.join(this.exportDir, '.export-data-from-source.lck')) ? true : undefined));
    const importer = this.background('import data to target', ['import', 'data', 'to', 'target', ...importArgs, '--disable-pb', 'true']);
    await importer.waitForLine(/applying the streamed changes/, { timeoutMs: 300_000 });
    return { exporter, importer };
  }

  /** `end migration` with logs, schema and reports backed up to a temporary directory, removed afterwards. */
  async endMigration(): Promise<void> {
    const backupDir = `${this.exportDir}-backup`;
    fs.mkdirSync(backupDir, { recursive: true });
    try {
      await this.run(['end', 'migration', '--export-dir', this.exportDir, '--backup-log-files', 'true', '--backup-data-files', 'false',
        '--backup-schema-files', 'true', '--save-migration-reports', 'true', '--backup-dir', backupDir]);
    } finally {
      fs.rmSync(backupDir, { recursive: true, force: true });
    }
  }

  cleanup(): Promise<void> {
    this.cleaningUp ??= (async () => {
      for (const w of this.workloads) await w.stop().catch(() => undefined);
      await Promise.all([...this.processes].map((p) => p.stop('SIGTERM', 10_000).catch(() => undefined)));
      await Promise.all(this.servers.map((s) => s.stop().catch(() => undefined)));
      fs.rmSync(this.exportDir, { recursive: true, force: true });
    })();
    return this.cleaningUp;
  }
}

/** Run a demo: exit 0 when `main` completes, 1 when it throws, 130 on Ctrl-C; always cleaned up. */
export function runDemo(env: Record<string, string>, main: (demo: DemoSession) => Promise<void>): void {
  const demo = new DemoSession(env);
  // The demo stops everything in order itself. The test rig's own handler (test/helpers/servers.ts) kills the
  // servers and raises SIGINT again, which would read as the second Ctrl-C and quit before the clean-up; its
  // 'exit' handler stays as the safety net.
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', () => {
    if (demo.interrupted) process.exit(130);
    demo.interrupted = true;
    console.log('\ninterrupted: stopping the processes and removing the databases (Ctrl-C again to quit at once)');
    void demo.cleanup().finally(() => process.exit(130));
  });
  main(demo).then(
    async () => {
      await demo.cleanup();
      process.exit(0);
    },
    async (e) => {
      if (demo.interrupted) return;
      console.error(`\ndemo failed: ${(e as Error).message}`);
      await demo.cleanup();
      process.exit(1);
    },
  );
}
