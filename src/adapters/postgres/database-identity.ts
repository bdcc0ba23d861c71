/**
 * Which PostgreSQL database a connection reaches, in a form that survives host renames and port changes:
 * the cluster's system identifier plus the database name. The state store refuses a rerun against another one.
 */
import type pg from 'pg';
import type { ConnSettings, DbIdentity } from '../../core/connection.js';
import { mapQueryError } from './errors.js';


export async function databaseIdentity(client: pg.Client, s: ConnSettings): Promise<DbIdentity> {
  try {
    const r = await client.query<{ db: string; oid: string }>('SELECT current_database() AS db, (SELECT oid::text FROM pg_database WHERE datname = current_database()) AS oid');
    let systemId: string;
    try {
      systemId = (await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0].id;
    } catch (e) {
      // pg_control_system() may be revoked (managed services): fall back to where the server is reached.
      if ((e as { code?: string }).code !== '42501') throw e;
      systemId = `${s.host}:${s.port}`;
    }
    return { dbType: 'postgresql', systemId, dbName: r.rows[0].db, dbOid: r.rows[0].oid, host: s.host, port: s.port };
  } catch (e) {
    throw mapQueryError(e, `identifying the ${s.role} database`);
  }
}
