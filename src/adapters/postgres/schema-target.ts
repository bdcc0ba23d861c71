/** PostgreSQL (and YugabyteDB) as import schema's target: one session, statements classified (schema-applier.ts). */
import type { SchemaTarget } from '../engine.js';
import { connect } from './connection.js';
import { databaseIdentity } from './database-identity.js';
import { mapQueryError } from './errors.js';
import { SchemaApplier } from './schema-applier.js';

export const pgSchemaTarget: SchemaTarget = {
  async open(c) {
    const client = await connect(c.settings, c.secret, { applicationName: 'yb-voyager import schema' });
    const applier = new SchemaApplier(client);
    return {
      async progressKey() {
        const identity = await databaseIdentity(client, c.settings);
        const dbOid = (await client.query<{ oid: string }>('SELECT oid::text AS oid FROM pg_catalog.pg_database WHERE datname = current_database()').catch((e) => {
          throw mapQueryError(e, 'identifying the target database');
        })).rows[0].oid;
        return `${identity.systemId}/${dbOid}`;
      },
      ensureSchema: (name) => applier.ensureSchema(name),
      prepareSession: (searchPath) => applier.prepareSession(searchPath),
      apply: (sql) => applier.apply(sql),
      droppedInvalidIndexes: applier.droppedInvalidIndexes,
      close: () => client.end().catch(() => undefined),
    };
  },
};
