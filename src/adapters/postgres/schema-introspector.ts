/**
 * Reads a PostgreSQL source's catalog and returns its schema as DDL, per object type. No pg_dump: the
 * server's own pg_get_*def functions print what they can (and always match the server's version);
 * the rest is rebuilt from the catalog here.
 *
 * Everything is read in one REPEATABLE READ, READ ONLY transaction (a consistent picture even while
 * people change the schema) with an empty search_path, so every name the server prints is
 * schema-qualified; identifiers are quoted exactly where PostgreSQL needs it (quote_ident).
 */
import type pg from 'pg';
import { pgDriver } from './pg-driver.js';
import type { DdlStatement, SchemaDir } from '../../core/schema-files.js';
import { InternalError, UserError, VoyagerError } from '../../infra/errors.js';
import { mapQueryError } from './errors.js';
import { DdlContext } from './ddl-context.js';
import { indexDdl, policyDdl, ruleDdl, statisticsDdl, triggerDdl, viewDdl, warnUnexported } from './ddl-dependents.js';
import { routineDdl } from './ddl-routines.js';
import { tableDdl } from './ddl-tables.js';
import { collationDdl, extensionDdl, schemaDdl, sequenceDdl, typeDdl, type ExportedSchemaRef } from './ddl-types.js';
import { resolveNames, TablePatternError } from '../../core/table-filter.js';

export interface IntrospectedSchema {
  readonly files: ReadonlyMap<SchemaDir, readonly DdlStatement[]>;
  readonly schemas: readonly ExportedSchemaRef[];
  /** Roles named by policies: they are cluster-wide and must exist on the target. */
  readonly roles: readonly string[];
  readonly warnings: readonly string[];
  readonly serverVersion: string;
}

/**
 * Resolve `--source-db-schema` names against the database. A name in double quotes matches exactly; a bare
 * name matches exactly or, failing that, case-insensitively (as PostgreSQL folds unquoted names).
 * Unknown schemas and schemas the user may not use are reported together.
 */
export async function resolveSchemas(client: pg.Client, requested: readonly string[], user: string, dbName: string): Promise<ExportedSchemaRef[]> {
  let rows: { oid: number; name: string; ident: string; usable: boolean }[];
  try {
    rows = (
      await client.query({
        text: `SELECT n.oid::int AS oid, n.nspname AS name, quote_ident(n.nspname) AS ident,
                      has_schema_privilege(n.oid, 'USAGE') AS usable
                 FROM pg_catalog.pg_namespace n
                WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
                ORDER BY n.nspname`,
        types: { getTypeParser: pgDriver.types.getTypeParser } as pg.CustomTypesConfig,
      })
    ).rows;
  } catch (e) {
    throw mapQueryError(e, 'listing the source schemas');
  }
  const found: ExportedSchemaRef[] = [];
  const missing: string[] = [];
  const denied: string[] = [];
  let resolved: { found: string[]; missing: string[] };
  try {
    resolved = resolveNames(requested, rows.map((r) => r.name));
  } catch (e) {
    if (e instanceof TablePatternError) throw new UserError(e.message, 'check --source-db-schema');
    throw e;
  }
  missing.push(...resolved.missing);
  for (const name of resolved.found) {
    const match = rows.find((r) => r.name === name)!;
    if (!match.usable) denied.push(match.ident);
    else found.push({ oid: match.oid, name: match.name, ident: match.ident });
  }
  if (missing.length) {
    const existing = rows.map((r) => r.ident).join(', ') || '(none)';
    throw new UserError(
      `schema${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} not found in database '${dbName}'; existing schemas: ${existing}`,
      'check --source-db-schema (a comma-separated list; put a mixed-case name in double quotes)',
      'not-found',
    );
  }
  if (denied.length) {
    throw new UserError(
      `user '${user}' has no USAGE privilege on schema${denied.length > 1 ? 's' : ''} ${denied.join(', ')}`,
      `run GRANT USAGE ON SCHEMA ${denied.join(', ')} TO ${user}; as the schema owner (see docs/prepare-databases.md)`,
      'privilege',
    );
  }
  return found;
}

export async function introspectSchema(client: pg.Client, schemas: readonly ExportedSchemaRef[]): Promise<IntrospectedSchema> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query(`SELECT pg_catalog.set_config('search_path', '', true)`);
    const v = await client.query<{ num: string; version: string }>(`SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version`);
    const ctx = new DdlContext(client, schemas.map((s) => s.oid), Number(v.rows[0].num));
    await ctx.loadComments();
    await extensionDdl(ctx);
    schemaDdl(ctx, schemas);
    await collationDdl(ctx);
    await typeDdl(ctx);
    await sequenceDdl(ctx);
    await routineDdl(ctx);
    await tableDdl(ctx);
    await statisticsDdl(ctx);
    await indexDdl(ctx);
    await viewDdl(ctx);
    await triggerDdl(ctx);
    await ruleDdl(ctx);
    const roles = await policyDdl(ctx);
    await warnUnexported(ctx);
    await client.query('COMMIT');
    return { files: ctx.files, schemas, roles, warnings: ctx.warnings, serverVersion: v.rows[0].version };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (e instanceof VoyagerError) throw e;
    if (e instanceof pgDriver.DatabaseError) throw mapQueryError(e, 'reading the source schema');
    throw new InternalError(`reading the source schema: ${(e as Error).message}`, e);
  }
}
