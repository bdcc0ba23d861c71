/**
 * The fall-back commands (`export data from target`, `import data to source`) take no host/user/database
 * flags: they reach the databases this migration already uses, as recorded (without password) by
 * `import data to target` and `export data from source`. SSL flags given explicitly override the record.
 */
import type { Endpoint } from '../adapters/engine.js';
import { engineFor, targetEngine } from '../adapters/registry.js';
import type { ConnSettings, SslMode } from '../core/connection.js';
import { loadConnSettings } from '../export-dir/migration-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { UserError } from '../infra/errors.js';
import { requirePassword } from './password.js';
import type { ResolvedOptions } from './resolve.js';

/** The recorded connection for `role`, bound to this migration (bindDatabase refuses a different database). */
export async function persistedConnection(state: StateStore, options: ResolvedOptions, role: 'source' | 'target'): Promise<Endpoint> {
  const saved = loadConnSettings(state, role);
  if (!saved) {
    const writer = role === 'source' ? 'export data from source' : 'import data to target';
    throw new UserError(`this export dir has no ${role} connection recorded`, `run yb-voyager ${writer} on this export dir first`, 'config');
  }
  const explicit = (name: string) => (options.has(name) && options.origin(name) !== 'default' ? options.str(name) : undefined);
  const settings: ConnSettings = {
    ...saved,
    sslMode: (explicit(`${role}-ssl-mode`) as SslMode | undefined) ?? saved.sslMode,
    sslRootCert: explicit(`${role}-ssl-root-cert`) ?? saved.sslRootCert,
    sslCert: explicit(`${role}-ssl-cert`) ?? saved.sslCert,
    sslKey: explicit(`${role}-ssl-key`) ?? saved.sslKey,
  };
  const db = { engine: await recordedEngine(state, role), conn: { settings, secret: { password: await requirePassword(options, role) } } };
  state.bindDatabase(role, await db.engine.identity(db.conn));
  return db;
}

/** Refuse what writes into the source when its engine cannot be written back to (Oracle: untestable here). */
export async function refuseWriteBackToSource(state: StateStore, what: string): Promise<void> {
  const engine = await recordedEngine(state, 'source');
  const why = engine.refusals?.writeBack;
  if (why) throw new UserError(`${what} is refused for this ${engine.displayName} source: ${why}`, `migrate offline (export data --export-type snapshot-only), and see docs/${engine.name}.md`, 'config');
}

/** The engine of the database recorded for `role`. */
function recordedEngine(state: StateStore, role: 'source' | 'target') {
  return role === 'target' ? targetEngine() : engineFor(state.migration().source?.dbType ?? 'postgresql');
}

/** The recorded database of `role` as it was recorded (end migration, reports), or undefined when never used. */
export async function recordedEndpoint(state: StateStore, options: ResolvedOptions, role: 'source' | 'target'): Promise<Endpoint | undefined> {
  const settings = loadConnSettings(state, role);
  if (!settings) return undefined;
  return { engine: await recordedEngine(state, role), conn: { settings, secret: { password: await requirePassword(options, role) } } };
}
