/**
 * A private MariaDB server per test file: `mariadb-install-db` into a temp dir, `mariadbd --no-defaults` on a
 * free loopback port with its own socket, binary log on in ROW format with full row images (what a binlog
 * change reader needs), and a migration user with a password. Always torn down (stop() in `after()`, and
 * servers.ts kills it when the test process exits whatever happens).
 *
 *   const server = await MariaDbServer.start();
 *   const db = await server.createDatabase('shop');          // unique name, migration user has every privilege
 *   await server.query('CREATE TABLE t (id INT PRIMARY KEY)', [], db);   // as the admin (root)
 *   const conn = await server.connectMigrationUser(db);       // mysql2/promise connection over TCP
 *   server.flags(db)                                           // --source-db-type mysql --source-db-host … for the CLI
 *   await server.stop();
 *
 * YBV_TEST_MYSQL_ADMIN_URL=mysql://root:pw@host:port points the tests at an existing server instead: the
 * migration user is created there if missing, databases get unique names and are dropped by stop().
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, isRoot, makeTempDir, runAs, spawnServer, stopServer } from './servers.js';

export const MYSQL_MIGRATION_USER = 'ybvoyager';
/** Special characters on purpose: they must survive flags, env, config files and the wire. */
export const MYSQL_MIGRATION_PASSWORD = 'Test@123#$%^&*()!';

export interface MariaDbServerOptions {
  /** More mariadbd arguments, e.g. ['--binlog-row-metadata=FULL']. */
  extraArgs?: string[];
}

type Conn = mysql.Connection;

/** The OS user the server runs as: `mysql` when we are root and it exists (mariadbd refuses root otherwise). */
function serverOsUser(): { user: string | undefined; extraArgs: string[] } {
  if (!isRoot) return { user: undefined, extraArgs: [] };
  try {
    execFileSync('id', ['-u', 'mysql'], { stdio: 'ignore' });
    return { user: 'mysql', extraArgs: ['--user=mysql'] };
  } catch {
    return { user: 'root', extraArgs: ['--user=root'] };
  }
}

export class MariaDbServer {
  private readonly createdDbs: string[] = [];
  private constructor(
    readonly host: string,
    readonly port: number,
    private readonly adminConfig: mysql.ConnectionOptions,
    private child: ChildProcess | undefined,
    private readonly dir: string | undefined,
    /** How the private server was started (restart() starts it again the same way). */
    private readonly launch?: { osUser: string; args: string[]; errorLog: string },
  ) {}

  static async start(options: MariaDbServerOptions = {}): Promise<MariaDbServer> {
    const external = process.env.YBV_TEST_MYSQL_ADMIN_URL;
    if (external) {
      const u = new URL(external);
      const admin: mysql.ConnectionOptions = {
        host: u.hostname,
        port: Number(u.port || 3306),
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        dateStrings: true,
        multipleStatements: true,
      };
      const s = new MariaDbServer(u.hostname, Number(u.port || 3306), admin, undefined, undefined);
      await s.ensureMigrationUser();
      return s;
    }

    const os = serverOsUser();
    // asUser()/runAs() ignore the user name when we are not root.
    const osUser = os.user ?? 'root';
    const dir = makeTempDir('ybv-mariadb-', os.user === 'mysql' ? 'mysql' : undefined);
    const data = path.join(dir, 'data');
    // A temp dir of its own: servers installing at once in the shared /tmp collide on their temporary files.
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    if (os.user === 'mysql') execFileSync('chown', ['mysql:mysql', tmp]);
    const installArgs = ['--no-defaults', `--datadir=${data}`, `--tmpdir=${tmp}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', ...os.extraArgs];
    try {
      runAs(osUser, 'mariadb-install-db', installArgs, { cwd: dir });
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      const err = e as { stderr?: Buffer | string };
      throw new Error(`mariadb-install-db failed: ${String(err.stderr ?? e)}`);
    }
    const socket = path.join(dir, 'mysqld.sock');
    const errorLog = path.join(dir, 'error.log');
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const args = [
        '--no-defaults',
        `--datadir=${data}`,
        `--tmpdir=${tmp}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${socket}`,
        `--pid-file=${path.join(dir, 'mysqld.pid')}`,
        `--log-error=${errorLog}`,
        `--log-bin=${path.join(data, 'mariadb-bin')}`,
        '--binlog-format=ROW',
        '--binlog-row-image=FULL',
        '--server-id=1',
        '--skip-name-resolve',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
        // Speed over durability: these servers live for one test file.
        '--innodb-buffer-pool-size=64M',
        '--innodb-log-file-size=16M',
        '--innodb-flush-log-at-trx-commit=0',
        '--innodb-doublewrite=0',
        '--sync-binlog=0',
        '--max-connections=200',
        ...os.extraArgs,
        ...(options.extraArgs ?? []),
      ];
      const child = spawnServer(osUser, 'mariadbd', args, path.join(dir, 'stdout.log'));
      const admin: mysql.ConnectionOptions = { socketPath: socket, user: 'root', password: '', dateStrings: true, multipleStatements: true };
      try {
        await waitUntilAccepting(child, admin, errorLog);
        const server = new MariaDbServer('127.0.0.1', port, admin, child, dir, { osUser, args, errorLog });
        await server.ensureMigrationUser();
        return server;
      } catch (e) {
        lastErr = e;
        await stopServer(child, 'SIGKILL');
        if (!/Address already in use|Can't start server: Bind/i.test(tail(errorLog))) break;
        fs.rmSync(path.join(dir, 'mysqld.pid'), { force: true });
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    throw lastErr;
  }

  private async ensureMigrationUser(): Promise<void> {
    const pw = MYSQL_MIGRATION_PASSWORD;
    for (const host of ['%', 'localhost']) {
      await this.query(`CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?`, [MYSQL_MIGRATION_USER, host, pw]);
      // Everything, like the PostgreSQL rig's SUPERUSER: privilege tests create their own narrower users.
      await this.query(`GRANT ALL PRIVILEGES ON *.* TO ?@?`, [MYSQL_MIGRATION_USER, host]);
    }
  }

  /** Run SQL as the admin (root over the unix socket for a private server). */
  async query<T = unknown>(sql: string, params: unknown[] = [], database?: string): Promise<T> {
    const c = await this.connectAdmin(database);
    try {
      const [rows] = await c.query(sql, params);
      return rows as T;
    } finally {
      await c.end();
    }
  }

  async connectAdmin(database?: string): Promise<Conn> {
    return mysql.createConnection({ ...this.adminConfig, database });
  }

  /** The migration user over TCP with its password, as the CLI would connect. */
  async connectMigrationUser(database?: string): Promise<Conn> {
    return mysql.createConnection({
      host: this.host,
      port: this.port,
      user: MYSQL_MIGRATION_USER,
      password: MYSQL_MIGRATION_PASSWORD,
      database,
      dateStrings: true,
    });
  }

  /** A fresh database with a unique name. */
  async createDatabase(prefix = 'db'): Promise<string> {
    const name = `${prefix}_${Math.random().toString(36).slice(2, 8)}`;
    await this.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
    this.createdDbs.push(name);
    return name;
  }

  /** CLI flags that reach this server as the source. */
  flags(database: string): string[] {
    return ['--source-db-type', 'mysql', '--source-db-host', this.host, '--source-db-port', String(this.port), '--source-db-user', MYSQL_MIGRATION_USER, '--source-db-name', database, '--source-ssl-mode', 'disable'];
  }

  /** Shut the private server down cleanly and start it again on the same data, port and flags. */
  async restart(): Promise<void> {
    if (!this.child || !this.dir || !this.launch) throw new Error('restart() needs a private server (not YBV_TEST_MYSQL_ADMIN_URL)');
    await stopServer(this.child, 'SIGTERM');
    const { osUser, args, errorLog } = this.launch;
    this.child = spawnServer(osUser, 'mariadbd', args, path.join(this.dir, 'stdout.log'));
    await waitUntilAccepting(this.child, this.adminConfig, errorLog);
  }

  get dataDir(): string | undefined {
    return this.dir ? path.join(this.dir, 'data') : undefined;
  }

  async stop(): Promise<void> {
    if (this.child) {
      await stopServer(this.child, 'SIGTERM');
      if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    } else {
      for (const db of this.createdDbs) await this.query(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
    }
  }
}

/** Poll the socket until the server answers; give up at once if it exited (a bind failure, a bad flag). */
async function waitUntilAccepting(child: ChildProcess, admin: mysql.ConnectionOptions, errorLog: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mariadbd exited during start-up:\n${tail(errorLog)}`);
    try {
      const c = await mysql.createConnection(admin);
      await c.end();
      return;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`mariadbd did not accept connections within 60 s: ${String(last)}\n${tail(errorLog)}`);
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
