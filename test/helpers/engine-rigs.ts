/**
 * One private server per engine for the engine contract tests (test/contract): how to start it, reach a fresh
 * database as the migration user, and the few statements the contracts need in that engine's dialect. A new
 * engine joins the contract suites by adding its rig here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import type { Engine } from '../../src/adapters/engine.js';
import { mysqlEngine } from '../../src/adapters/mysql/engine.js';
import { postgresEngine } from '../../src/adapters/postgres/engine.js';
import type { Conn } from '../../src/core/connection.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD, MYSQL_MIGRATION_USER } from './mariadb-server.js';
import { MIGRATION_PASSWORD, PgCluster } from './pg-cluster.js';

export interface EngineDb {
  readonly conn: Conn;
  /** Run statements as an administrator of this database. */
  exec(sql: string): Promise<void>;
  /** Rows as text. */
  rows(sql: string): Promise<Record<string, string | null>[]>;
}

export interface EngineRig {
  readonly engine: Engine;
  /** A fresh, empty database (schema 'public' on PostgreSQL) as the source or target of a migration. */
  database(role: 'source' | 'target'): Promise<EngineDb>;
  /** The schema tables are in, as the seam names them (and --source-db-schema). */
  readonly schema: string;
  /** What qualifies a table name in this rig's SQL ('public.' on PostgreSQL; '' where the connection's database is meant). */
  readonly sqlPrefix: string;
  /** DDL of the contract table `items (id int primary key, name text, amount numeric(12,2))`. */
  readonly itemsDdl: string;
  /** Statements creating `audit (id int)` and an AFTER INSERT trigger on items that writes NEW.id into it. */
  readonly auditTriggerDdl: readonly string[];
  /** DDL of a sequence-backed table `seqd (id <auto id> primary key, v text)` and the sequence's name. */
  readonly sequenceDdl: { ddl: string; sequence: string };
  /** End every session of the migration user on `db` (a lost connection, from the server's side). */
  killSessions(db: EngineDb): Promise<number>;
  stop(): Promise<void>;
}

async function postgresRig(): Promise<EngineRig> {
  const cluster = await PgCluster.start();
  return {
    engine: postgresEngine,
    schema: 'public',
    sqlPrefix: 'public.',
    itemsDdl: 'CREATE TABLE public.items (id int PRIMARY KEY, name text, amount numeric(12,2))',
    auditTriggerDdl: [
      'CREATE TABLE public.audit (id int)',
      'CREATE FUNCTION public.audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.audit VALUES (NEW.id); RETURN NEW; END $$',
      'CREATE TRIGGER audit_t AFTER INSERT ON public.items FOR EACH ROW EXECUTE FUNCTION public.audit_fn()',
    ],
    sequenceDdl: { ddl: 'CREATE TABLE public.seqd (id bigserial PRIMARY KEY, v text)', sequence: 'seqd_id_seq' },
    async database(role) {
      const name = await cluster.createDatabase('contract');
      return {
        conn: { settings: cluster.settings(name, role), secret: { password: MIGRATION_PASSWORD } },
        exec: async (sql) => void (await cluster.query(sql, [], name)),
        rows: async (sql) => (await cluster.query(sql, [], name)).rows,
      };
    },
    async killSessions(db) {
      const r = await cluster.query(
        `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND usename = $2 AND pid <> pg_backend_pid()`,
        [db.conn.settings.database, db.conn.settings.user],
      );
      return Number(r.rows[0].n);
    },
    stop: () => cluster.stop(),
  };
}

async function mariadbRig(): Promise<EngineRig> {
  const server = await MariaDbServer.start({ extraArgs: ['--binlog-row-metadata=FULL'] });
  return {
    engine: mysqlEngine,
    schema: 'public',
    sqlPrefix: '',
    itemsDdl: 'CREATE TABLE items (id int PRIMARY KEY, name text, amount decimal(12,2))',
    auditTriggerDdl: [
      'CREATE TABLE audit (id int)',
      'CREATE TRIGGER audit_t AFTER INSERT ON items FOR EACH ROW INSERT INTO audit VALUES (NEW.id)',
    ],
    sequenceDdl: { ddl: 'CREATE TABLE seqd (id bigint AUTO_INCREMENT PRIMARY KEY, v text)', sequence: 'seqd_id_seq' },
    async database(role) {
      const name = await server.createDatabase('contract');
      return {
        conn: {
          settings: { role, host: server.host, port: server.port, user: MYSQL_MIGRATION_USER, database: name, sslMode: 'disable' },
          secret: { password: MYSQL_MIGRATION_PASSWORD },
        },
        // Backslashes in literals as standard SQL (and PostgreSQL) read them, so the contracts' SQL means the same here.
        exec: async (sql) => void (await server.query(`SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES'); ${sql}`, [], name)),
        rows: async (sql) => textRows(await server.query<Record<string, unknown>[]>(sql, [], name)),
      };
    },
    async killSessions(db) {
      const ids = await server.query<{ id: number }[]>(
        'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND DB = ? AND ID <> CONNECTION_ID()',
        [db.conn.settings.user, db.conn.settings.database],
      );
      for (const { id } of ids) await server.query(`KILL ${Number(id)}`).catch(() => undefined);
      return ids.length;
    },
    stop: () => server.stop(),
  };
}

function textRows(rows: Record<string, unknown>[]): Record<string, string | null>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])));
}

/** Every engine with a rig on this machine: the contract suites run once per entry. */
export const ENGINE_RIGS: readonly { name: string; start: () => Promise<EngineRig> }[] = [
  { name: 'postgresql', start: postgresRig },
  { name: 'mariadb', start: mariadbRig },
];

export interface EngineSuite {
  readonly name: string;
  /** The started rig (inside a test). */
  rig(): EngineRig;
  /** A scratch directory of this suite (inside a test). */
  tmp(): string;
}

/** One describe() per engine rig: the rig starts before the suite's tests and stops after them. */
export function forEachEngine(contract: string, suite: (s: EngineSuite) => void): void {
  for (const { name, start } of ENGINE_RIGS) {
    describe(`${contract} contract: ${name}`, () => {
      let rig: EngineRig | undefined;
      let tmp: string | undefined;
      before(async () => {
        rig = await start();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-contract-'));
      });
      after(async () => {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        await rig?.stop();
      });
      suite({ name, rig: () => rig!, tmp: () => tmp! });
    });
  }
}
