/** From resolved options to connection settings for the source or target database. */
import type { Engine, Endpoint } from '../adapters/engine.js';
import { ENGINE_NAMES, engineFor, targetEngine } from '../adapters/registry.js';
import type { Conn, ConnSettings, OracleConnTarget, SslMode } from '../core/connection.js';
import { UserError } from '../infra/errors.js';
import { DEFAULT_PORTS } from './option-spec.js';
import { requirePassword } from './password.js';
import type { ResolvedOptions } from './resolve.js';

export function connSettings(options: ResolvedOptions, role: 'source' | 'target'): ConnSettings {
  const missing: string[] = [];
  const need = (name: string) => {
    const v = options.str(`${role}-db-${name}`);
    if (!v) missing.push(`--${role}-db-${name}`);
    return v ?? '';
  };
  const user = need('user');
  const oracle = role === 'source' && options.str('source-db-type') === 'oracle' ? oracleTarget(options) : undefined;
  const database = role === 'target' ? (options.str('target-db-name') ?? 'yugabyte') : oracle ? (options.str('source-db-name') ?? '') : need('name');
  if (missing.length) throw new UserError(`missing ${missing.join(', ')}`, `add ${missing.map((m) => `${m} <value>`).join(' ')}`);
  if (oracle && !database && !oracle.sid && !oracle.tnsAlias) {
    throw new UserError('no Oracle database named', 'add --oracle-tns-alias <alias>, --source-db-name <service name> or --oracle-db-sid <SID>');
  }
  // No port, or 0, means the default port of the engine.
  let port = options.int(`${role}-db-port`) ?? 0;
  if (port === 0) port = DEFAULT_PORTS[(role === 'source' && options.str('source-db-type')) || 'postgresql'] ?? DEFAULT_PORTS.postgresql!;
  return {
    role,
    host: options.str(`${role}-db-host`) ?? 'localhost',
    port,
    user,
    database,
    sslMode: (options.str(`${role}-ssl-mode`) ?? 'prefer') as SslMode,
    sslRootCert: options.str(`${role}-ssl-root-cert`),
    sslCert: options.str(`${role}-ssl-cert`),
    sslKey: options.str(`${role}-ssl-key`),
    ...(oracle ? { oracle } : {}),
  };
}

/** Oracle's connection flags (which of them wins is the Oracle engine's rule: alias, then service name, then SID). */
function oracleTarget(options: ResolvedOptions): OracleConnTarget {
  const t: { -readonly [K in keyof OracleConnTarget]: OracleConnTarget[K] } = {};
  const alias = options.str('oracle-tns-alias');
  const sid = options.str('oracle-db-sid');
  const home = options.str('oracle-home');
  if (alias) t.tnsAlias = alias;
  if (sid) t.sid = sid;
  if (home) t.oracleHome = home;
  return t;
}

export async function connectionFromOptions(options: ResolvedOptions, role: 'source' | 'target'): Promise<Conn> {
  const settings = connSettings(options, role);
  const password = await requirePassword(options, role);
  return { settings, secret: { password } };
}

/** The engine --source-db-type names. */
export function sourceEngine(options: ResolvedOptions): Promise<Engine> {
  const t = options.str('source-db-type');
  if (!t) throw new UserError('required flag --source-db-type is missing', `add --source-db-type ${ENGINE_NAMES.join('|')}`);
  return engineFor(t);
}

/** The database `role` of this command: its engine and the connection its flags describe. */
export async function endpointFromOptions(options: ResolvedOptions, role: 'source' | 'target'): Promise<Endpoint> {
  const engine = await (role === 'source' ? sourceEngine(options) : targetEngine());
  return { engine, conn: await connectionFromOptions(options, role) };
}
