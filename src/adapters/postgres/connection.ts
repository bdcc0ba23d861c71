/**
 * Opening PostgreSQL connections: SSL modes as libpq defines them, raw text values (no lossy parsing:
 * timestamptz keeps its microseconds, numeric its digits), and errors mapped to one-line fixes.
 */
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import { pgDriver } from './pg-driver.js';
import type { Conn, ConnSecret, ConnSettings } from '../../core/connection.js';
import { readSslFile } from '../../infra/connect-errors.js';
import { mapConnectError } from './errors.js';

/** Every value arrives as the server's text: we copy data, we do not interpret it. */
export const RAW_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

export interface ConnectOptions {
  /** 'database' opens a logical replication connection. */
  replication?: 'database';
  applicationName?: string;
  /** Statements run once the session opens (SET session_replication_role…). */
  sessionSetup?: readonly string[];
  /**
   * pg's pipeline mode: queries issued before earlier ones complete are sent at once, each with its own Sync
   * (one round trip for a whole transaction instead of one per statement).
   */
  pipeline?: boolean;
}

function tlsOptions(s: ConnSettings): ConnectionOptions | false {
  if (s.sslMode === 'disable') return false;
  const base: ConnectionOptions = { cert: readSslFile(s.role, 'cert', s.sslCert), key: readSslFile(s.role, 'key', s.sslKey) };
  const ca = readSslFile(s.role, 'root-cert', s.sslRootCert);
  // As libpq: `require` with a root certificate given behaves like verify-ca.
  const mode = s.sslMode === 'require' && ca ? 'verify-ca' : s.sslMode;
  switch (mode) {
    case 'verify-full':
      return { ...base, ca, rejectUnauthorized: true };
    case 'verify-ca':
      return { ...base, ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    default:
      return { ...base, rejectUnauthorized: false };
  }
}

function clientConfig(s: ConnSettings, secret: ConnSecret, o: ConnectOptions, ssl: ConnectionOptions | false): pg.ClientConfig {
  return {
    host: s.host,
    port: s.port,
    user: s.user,
    password: secret.password,
    database: s.database,
    ssl,
    types: RAW_TYPES,
    application_name: o.applicationName ?? 'yb-voyager',
    replication: o.replication,
    pipeline: o.pipeline,
    connectionTimeoutMillis: 30_000,
    keepAlive: true,
  } as pg.ClientConfig;
}

async function tryConnect(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pgDriver.Client(config);
  try {
    await client.connect();
    return client;
  } catch (e) {
    client.end().catch(() => undefined);
    throw e;
  }
}

/**
 * Connect with libpq's SSL semantics: `prefer` tries SSL then plain; `allow` tries plain then SSL;
 * `require`/`verify-*` insist on SSL.
 */
export async function connect(s: ConnSettings, secret: ConnSecret, o: ConnectOptions = {}): Promise<pg.Client> {
  let client: pg.Client;
  try {
    const ssl = tlsOptions(s);
    const attempts: (ConnectionOptions | false)[] =
      s.sslMode === 'prefer' ? [ssl, false] : s.sslMode === 'allow' ? [false, { rejectUnauthorized: false }] : [ssl];
    let lastErr: unknown;
    client = undefined as unknown as pg.Client;
    for (const attempt of attempts) {
      try {
        client = await tryConnect(clientConfig(s, secret, o, attempt));
        lastErr = undefined;
        break;
      } catch (e) {
        lastErr = e;
        const code = (e as { code?: string }).code;
        // Only an SSL negotiation failure or an hba rejection is worth the fallback attempt.
        if (!(/SSL/i.test(String((e as Error).message)) || code === '28000')) break;
      }
    }
    if (lastErr) throw lastErr;
  } catch (e) {
    throw mapConnectError(e, s);
  }
  client.on('error', () => undefined); // errors surface on the next query; an idle socket error must not crash the process
  try {
    // One round trip (a simple query runs them in order and stops at the first that fails).
    if (o.sessionSetup?.length) await client.query(o.sessionSetup.join('; '));
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return client;
}

export { qualified, quoteIdent, quoteLiteral } from '../../core/sql-names.js';

/** Run `fn` on a connection of its own, closed afterwards whatever happens. */
export async function withClient<T>(c: Conn, applicationName: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(c.settings, c.secret, { applicationName });
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
