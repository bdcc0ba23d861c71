/**
 * A private PostgreSQL cluster per test file: initdb into a temp dir, a free loopback port,
 * wal_level=logical, SCRAM auth for the migration user, fsync off. Always torn down.
 *
 * YBV_TEST_PG_ADMIN_URL=postgres://admin:pw@host:port/postgres points the tests at an existing server
 * instead: databases are then created there with unique names and dropped afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { RAW_TYPES } from '../../src/adapters/postgres/connection.js';
import type { ConnSettings, SslMode } from '../../src/core/connection.js';
import { freePort, makeTempDir, runAs, spawnServer, stopServer, waitFor } from './servers.js';
import type { ChildProcess } from 'node:child_process';

export const MIGRATION_USER = 'ybvoyager';
export const MIGRATION_PASSWORD = 'Test@123#$%^&*()!';

export function pgBinDir(): string {
  if (process.env.YBV_PG_BIN) return process.env.YBV_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error('no PostgreSQL server binaries found (set YBV_PG_BIN)');
  return path.join(root, versions[0], 'bin');
}

export interface PgClusterOptions {
  /** Enable SSL with a certificate signed by a private CA (see ssl-certs.ts). */
  ssl?: { certFile: string; keyFile: string; caFile: string; hostsslOnly?: boolean };
  extraConf?: Record<string, string | number>;
}

export class PgCluster {
  private constructor(
    readonly host: string,
    readonly port: number,
    private readonly adminConfig: pg.ClientConfig,
    private child: ChildProcess | undefined,
    private readonly dir: string | undefined,
    private readonly createdDbs: string[] = [],
    private readonly options: PgClusterOptions = {},
  ) {}

  static async start(options: PgClusterOptions = {}): Promise<PgCluster> {
    const external = process.env.YBV_TEST_PG_ADMIN_URL;
    if (external) {
      const u = new URL(external);
      const c = new PgCluster(u.hostname, Number(u.port || 5432), { connectionString: external }, undefined, undefined);
      await c.ensureMigrationUser();
      return c;
    }
    const bin = pgBinDir();
    const dir = makeTempDir('ybv-pg-', 'postgres');
    const data = path.join(dir, 'data');
    runAs('postgres', path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      writeConf(data, dir, port, options);
      const child = spawnServer('postgres', path.join(bin, 'postgres'), ['-D', data], path.join(dir, 'server.log'));
      const admin: pg.ClientConfig = { host: dir, port, user: 'postgres', database: 'postgres', types: RAW_TYPES };
      try {
        await waitFor('postgres to accept connections', async () => {
          if (child.exitCode !== null) throw new Error('postgres exited: ' + tail(path.join(dir, 'server.log')));
          const c = new pg.Client(admin);
          await c.connect();
          await c.end();
        }, 30_000);
        const cluster = new PgCluster('127.0.0.1', port, admin, child, dir, [], options);
        await cluster.ensureMigrationUser();
        return cluster;
      } catch (e) {
        lastErr = e;
        await stopServer(child, 'SIGQUIT');
        if (!/Address already in use|could not bind/i.test(tail(path.join(dir, 'server.log')))) break;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    throw lastErr;
  }

  private async ensureMigrationUser(): Promise<void> {
    await this.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${MIGRATION_USER}') THEN
        CREATE ROLE ${MIGRATION_USER} LOGIN SUPERUSER REPLICATION PASSWORD '${MIGRATION_PASSWORD.replace(/'/g, "''")}';
      END IF; END $$`);
  }

  /** Run SQL as the cluster's superuser (over the unix socket). */
  async query<T extends pg.QueryResultRow = Record<string, string>>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<pg.QueryResult<T>> {
    const c = await this.connectAdmin(database);
    try {
      return await c.query<T>(sql, params);
    } finally {
      await c.end();
    }
  }

  async connectAdmin(database = 'postgres'): Promise<pg.Client> {
    const cfg = { ...this.adminConfig, database } as pg.ClientConfig;
    if (this.adminConfig.connectionString) {
      const u = new URL(this.adminConfig.connectionString);
      u.pathname = '/' + database;
      cfg.connectionString = u.toString();
    }
    const c = new pg.Client({ ...cfg, types: RAW_TYPES });
    await c.connect();
    return c;
  }

  /** A fresh database with a unique name (owned by the migration user). */
  async createDatabase(prefix = 'db'): Promise<string> {
    const name = `${prefix}_${Math.random().toString(36).slice(2, 8)}`;
    await this.query(`CREATE DATABASE "${name}" OWNER ${MIGRATION_USER}`);
    this.createdDbs.push(name);
    return name;
  }

  /** Connection settings for the migration user, as the CLI would build them. */
  settings(database: string, role: 'source' | 'target' = 'source', sslMode: SslMode = 'disable'): ConnSettings {
    return { role, host: this.host, port: this.port, user: MIGRATION_USER, database, sslMode };
  }

  /** CLI flags that reach this cluster as source or target. */
  flags(role: 'source' | 'target', database: string): string[] {
    const f = [`--${role}-db-host`, this.host, `--${role}-db-port`, String(this.port), `--${role}-db-user`, MIGRATION_USER, `--${role}-db-name`, database, `--${role}-ssl-mode`, 'disable'];
    return role === 'source' ? ['--source-db-type', 'postgresql', ...f] : f;
  }

  get binDir(): string {
    return pgBinDir();
  }

  get socketDir(): string | undefined {
    return this.dir;
  }

  /** The server's log (stderr) of a private cluster; with extraConf { log_connections: 'on' } it shows each login and whether it used SSL. */
  serverLog(): string {
    return this.dir ? fs.readFileSync(path.join(this.dir, 'server.log'), 'utf8') : '';
  }

  private get dataDir(): string {
    if (!this.dir) throw new Error('only a private cluster can be stopped and started by a test');
    return path.join(this.dir, 'data');
  }

  /** Stop the server: 'immediate' is a crash as far as clients and recovery are concerned (pg_ctl -m immediate). */
  async stopServer(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    void this.dataDir;
    if (this.child) await stopServer(this.child, mode === 'immediate' ? 'SIGQUIT' : 'SIGINT');
  }

  /** Start the stopped server again on the same port, and wait until it takes connections. */
  async startServer(): Promise<void> {
    const dir = this.dir!;
    this.child = spawnServer('postgres', path.join(pgBinDir(), 'postgres'), ['-D', this.dataDir], path.join(dir, 'server.log'));
    const child = this.child;
    await waitFor('postgres to accept connections again', async () => {
      if (child.exitCode !== null) throw new Error('postgres exited: ' + tail(path.join(dir, 'server.log')));
      const c = new pg.Client(this.adminConfig);
      await c.connect();
      await c.end();
    }, 60_000);
  }

  async restart(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    await this.stopServer(mode);
    await this.startServer();
  }

  /**
   * A different cluster at the same address: the server is stopped, its data set aside, and a new cluster
   * (new system identifier) with the same migration user, password and database names starts on the same port.
   */
  async replaceWithFreshCluster(): Promise<void> {
    await this.stopServer('fast');
    fs.renameSync(this.dataDir, `${this.dataDir}.replaced`);
    runAs('postgres', path.join(pgBinDir(), 'initdb'), ['-D', this.dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    // Set up over the socket only, then open the TCP port: a client never meets it half made.
    writeConf(this.dataDir, this.dir!, this.port, { ...this.options, extraConf: { ...this.options.extraConf, listen_addresses: "''" } });
    await this.startServer();
    await this.ensureMigrationUser();
    for (const db of this.createdDbs) await this.query(`CREATE DATABASE "${db}" OWNER ${MIGRATION_USER}`);
    await this.stopServer('fast');
    writeConf(this.dataDir, this.dir!, this.port, this.options);
    await this.startServer();
  }

  async stop(): Promise<void> {
    if (this.child) {
      await stopServer(this.child, 'SIGQUIT');
      if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    } else {
      for (const db of this.createdDbs) await this.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => undefined);
    }
  }
}

function writeConf(data: string, socketDir: string, port: number, o: PgClusterOptions): void {
  const conf: Record<string, string | number> = {
    port,
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${socketDir}'`,
    wal_level: 'logical',
    max_replication_slots: 20,
    max_wal_senders: 20,
    max_connections: 100,
    fsync: 'off',
    full_page_writes: 'off',
    synchronous_commit: 'off',
    shared_buffers: "'64MB'",
    password_encryption: "'scram-sha-256'",
    logging_collector: 'off',
    ...(o.ssl ? { ssl: 'on', ssl_cert_file: `'${o.ssl.certFile}'`, ssl_key_file: `'${o.ssl.keyFile}'`, ssl_ca_file: `'${o.ssl.caFile}'` } : {}),
    ...o.extraConf,
  };
  fs.writeFileSync(path.join(data, 'postgresql.auto.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  const host = o.ssl?.hostsslOnly ? 'hostssl' : 'host';
  fs.writeFileSync(
    path.join(data, 'pg_hba.conf'),
    ['local all all trust', 'local replication all trust', `${host} all all 127.0.0.1/32 scram-sha-256`, `${host} replication all 127.0.0.1/32 scram-sha-256`].join('\n') + '\n',
  );
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}
