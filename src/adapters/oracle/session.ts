/**
 * How the Oracle engine reaches a database: through a runner opener, so the same engine code runs on a live
 * thin-mode session or on replayed fixtures (tests). Also the identity of the database, which binds an export
 * dir to it.
 */
import type { Conn, DbIdentity } from '../../core/connection.js';
import type { Logger } from '../../infra/logger.js';
import { CATALOG } from './catalog-queries.js';
import { allRows, type OracleQueryRunner } from './query-runner.js';

export type RunnerOpener = (c: Conn, log?: Logger) => Promise<OracleQueryRunner>;

export async function withRunner<T>(open: RunnerOpener, c: Conn, log: Logger | undefined, fn: (r: OracleQueryRunner) => Promise<T>): Promise<T> {
  const r = await open(c, log);
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}

/** The database's unique name and container id: survive host renames; another PDB or database differs. */
export async function oracleIdentity(r: OracleQueryRunner, c: Conn): Promise<DbIdentity> {
  const [row] = await allRows(r, CATALOG.identity);
  const dbName = row?.CON_NAME ?? row?.SERVICE_NAME ?? c.settings.database;
  return { dbType: 'oracle', systemId: `${row?.DB_NAME ?? '?'}/${row?.CON_DBID ?? '?'}`, dbName: dbName ?? '', host: c.settings.host, port: c.settings.port };
}
