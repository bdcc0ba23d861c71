/**
 * MySQL/MariaDB as export schema's source: the database --source-db-name names is read from
 * information_schema (schema-reader.ts) and converted to PostgreSQL DDL in schema `public` (ddl-*.ts), with
 * every name lower-cased as names.ts says. What does not convert is reported as findings in the files.
 */
import type { DdlStatement, SchemaDir } from '../../core/schema-files.js';
import { UserError } from '../../infra/errors.js';
import type { SchemaSource } from '../engine.js';
import { withConnection } from './connection.js';
import { codeObjectDdl, viewDdl } from './ddl-code.js';
import { MyDdl } from './ddl-context.js';
import { foreignKeyDdl, indexDdl } from './ddl-keys.js';
import { tableDdl } from './ddl-tables.js';
import { databaseIdentity, serverFlavor } from './database-identity.js';
import { mapQueryError } from './errors.js';
import { pgName, TARGET_SCHEMA } from './names.js';
import { readMySchema, type MySchema } from './schema-reader.js';

/** PostgreSQL DDL for one MySQL database (pure: the reading is done). */
export function convertMySchema(schema: MySchema): { files: Map<SchemaDir, DdlStatement[]>; warnings: string[] } {
  checkNameCollisions(schema);
  const ddl = new MyDdl(schema.database);
  for (const t of schema.tables) ddl.reserve(pgName(t.name));
  for (const v of schema.views) ddl.reserve(pgName(v.name));
  for (const t of schema.tables) tableDdl(ddl, schema, t);
  for (const t of schema.tables) indexDdl(ddl, t);
  for (const t of schema.tables) foreignKeyDdl(ddl, t);
  for (const v of schema.views) viewDdl(ddl, v);
  for (const o of [...schema.routines, ...schema.triggers]) codeObjectDdl(ddl, o);
  const findings = [...ddl.files.values()].flat().reduce((n, s) => n + (s.findings?.length ?? 0), 0);
  if (findings) ddl.warn(`${findings} conversion finding(s) from MySQL are noted in the schema files: run analyze-schema to list them with their fixes`);
  return { files: ddl.files, warnings: ddl.warnings };
}

/** Tables and views share one namespace; on PostgreSQL their names are lower-cased, so `Orders` and `orders` collide. */
function checkNameCollisions(schema: MySchema): void {
  const seen = new Map<string, string>();
  const clashes: string[] = [];
  for (const name of [...schema.tables.map((t) => t.name), ...schema.views.map((v) => v.name)]) {
    const other = seen.get(pgName(name));
    if (other !== undefined) clashes.push(`${other} and ${name} (both ${TARGET_SCHEMA}.${pgName(name)})`);
    else seen.set(pgName(name), name);
  }
  if (clashes.length) {
    throw new UserError(
      `MySQL tables or views whose names differ only in case would be the same table on PostgreSQL: ${clashes.join('; ')}`,
      'rename one of each pair on the source (RENAME TABLE), then rerun export schema',
    );
  }
}

export const mysqlSchemaSource: SchemaSource = {
  sourceSchemaFlag: 'refused',
  async exportSchema(c) {
    return withConnection(c, async (conn) => {
      const identity = await databaseIdentity(conn, c.settings);
      const flavor = await serverFlavor(conn);
      let schema: MySchema;
      try {
        schema = await readMySchema(conn, c.settings.database, flavor);
      } catch (e) {
        throw mapQueryError(e, `reading the schema of database ${c.settings.database}`);
      }
      const { files, warnings } = convertMySchema(schema);
      return { identity, serverVersion: flavor.version, schemas: [{ name: TARGET_SCHEMA, ident: TARGET_SCHEMA }], files, warnings, roles: [] };
    });
  },
};
