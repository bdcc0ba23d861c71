/**
 * Runs schema statements on a PostgreSQL-compatible target, one at a time in autocommit (a DDL
 * statement either happens whole or not at all), and says what became of each:
 *
 * - applied;
 * - exists: the object is already there (SQLSTATEs of duplicate objects);
 * - missing-dependency: something it needs does not exist yet (the caller retries it later);
 * - failed.
 *
 * Index builds: YugabyteDB builds indexes online, and CREATE INDEX CONCURRENTLY anywhere leaves an
 * INVALID index behind when it fails. Such an index would make the retry report "already exists" and
 * skip it, so it is dropped before the statement runs and again after a failure.
 */
import type pg from 'pg';
import { pgDriver } from './pg-driver.js';
import { indexTarget } from '../../core/schema-import-plan.js';
import { DbError } from '../../infra/errors.js';
import { quoteIdent } from './connection.js';
import { mapQueryError } from './errors.js';

export interface StatementError {
  readonly code?: string;
  readonly message: string;
}

export type ApplyOutcome =
  | { readonly kind: 'applied' }
  | { readonly kind: 'exists'; readonly error: StatementError }
  | { readonly kind: 'missing-dependency'; readonly error: StatementError }
  | { readonly kind: 'failed'; readonly error: StatementError };

/** duplicate_table/relation, duplicate_object, duplicate_function, duplicate_schema, duplicate_column. */
const EXISTS_CODES = new Set(['42P07', '42710', '42723', '42P06', '42701']);
/** undefined_table, undefined_object (types…), undefined_function, invalid_schema_name. */
const MISSING_CODES = new Set(['42P01', '42704', '42883', '3F000']);

export function classifyError(e: StatementError): 'exists' | 'missing-dependency' | 'failed' {
  const code = e.code ?? '';
  if (EXISTS_CODES.has(code)) return 'exists';
  // Also "already" in other words: a second primary key, a table already a partition, an identity column.
  if (code === '42P16' && /multiple primary keys/i.test(e.message)) return 'exists';
  if (code === '55000' && /\balready\b/i.test(e.message)) return 'exists';
  if (MISSING_CODES.has(code)) return 'missing-dependency';
  return 'failed';
}

export class SchemaApplier {
  /** Indexes dropped because they were INVALID, for the summary. */
  readonly droppedInvalidIndexes: string[] = [];

  constructor(private readonly client: pg.Client) {}

  /**
   * Session settings for DDL, as pg_dump's scripts use them: function bodies are not checked at
   * creation (they may name tables created later), and notices stay quiet.
   */
  async prepareSession(searchPath: readonly string[]): Promise<void> {
    try {
      await this.client.query('SET check_function_bodies = false');
      await this.client.query('SET client_min_messages = warning');
      await this.client.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [searchPath.map(quoteIdent).join(', ')]);
    } catch (e) {
      throw mapQueryError(e, 'preparing the target session');
    }
  }

  async ensureSchema(schema: string): Promise<void> {
    try {
      await this.client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    } catch (e) {
      throw mapQueryError(e, `creating schema ${schema} on the target`);
    }
  }

  async apply(sql: string): Promise<ApplyOutcome> {
    const index = indexTarget(sql);
    if (index) await this.dropInvalidIndex(index.index, index.schema);
    try {
      await this.client.query(sql);
      return { kind: 'applied' };
    } catch (e) {
      // Only the server's refusal of this statement is the statement's problem; a lost connection is ours.
      if (!(e instanceof pgDriver.DatabaseError) || /^(08|57P)/.test(e.code ?? '')) throw mapQueryError(e, 'applying the schema');
      const error: StatementError = { code: e.code, message: e.message };
      if (index) await this.dropInvalidIndex(index.index, index.schema);
      return { kind: classifyError(error), error } as ApplyOutcome;
    }
  }

  private async dropInvalidIndex(name: string, schema: string | undefined): Promise<void> {
    try {
      const r = await this.client.query<{ qname: string }>(
        `SELECT format('%I.%I', n.nspname, c.relname) AS qname
           FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
          WHERE c.relname = $1 AND n.nspname = COALESCE($2, current_schema()) AND NOT i.indisvalid`,
        [name, schema ?? null],
      );
      for (const { qname } of r.rows) {
        await this.client.query(`DROP INDEX IF EXISTS ${qname}`);
        this.droppedInvalidIndexes.push(qname);
      }
    } catch (e) {
      throw e instanceof DbError ? e : mapQueryError(e, `dropping the invalid index ${name}`);
    }
  }
}
