/** PostgreSQL as export schema's source: the catalog read into DDL (schema-introspector.ts and ddl-*.ts). */
import type { SchemaSource } from '../engine.js';
import { withClient } from './connection.js';
import { databaseIdentity } from './database-identity.js';
import { introspectSchema, resolveSchemas } from './schema-introspector.js';

export const pgSchemaSource: SchemaSource = {
  sourceSchemaFlag: 'required',
  async exportSchema(c, requested) {
    return withClient(c, 'yb-voyager export schema', async (client) => {
      const identity = await databaseIdentity(client, c.settings);
      const schemas = await resolveSchemas(client, requested, c.settings.user, identity.dbName);
      const result = await introspectSchema(client, schemas);
      return { identity, serverVersion: result.serverVersion, schemas: result.schemas, files: result.files, warnings: result.warnings, roles: result.roles };
    });
  },
};
