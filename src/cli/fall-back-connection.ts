/**
 * The fall-back commands (`export data from target`, `import data to source`) take no host/user/database
 * flags: they reach the databases this migration already uses, as recorded (without password) by
 * `import data to target` and `export data from source`. SSL flags given explicitly override the record.
 */
import type { ConnSettings, SslMode } from '../core/connection.js';
import { connect } from '../adapters/postgres/connection.js';
import { databaseIdentity } from '../adapters/postgres/database-identity.js';
import { loadConnSettings } from '../export-dir/migration-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { UserError } from '../infra/errors.js';
import { requirePassword } from './password.js';
import type { ResolvedOptions } from './resolve.js';

/** The recorded connection for `role`, bound to this migration (bindDatabase refuses a different database). */
export async function persistedConnection(state: StateStore, options: ResolvedOptions, role: 'source' | 'target'): Promise<{ settings: ConnSettings; secret: { password: string } }> {
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
  const secret = { password: await requirePassword(options, role) };
  const client = await connect(settings, secret);
  try {
    state.bindDatabase(role, await databaseIdentity(client, settings));
  } finally {
    await client.end();
  }
  return { settings, secret };
}
