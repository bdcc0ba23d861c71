/**
 * `pg_dump --schema-only --no-owner --no-privileges` of a test database, normalised for comparing two
 * databases that should hold the same schema. pg_dump is used by tests only (the product reads the
 * catalog itself).
 *
 * Normalisation removes only what legitimately differs between two dumps of equal schemas:
 * - `\restrict <key>` / `\unrestrict <key>`: a random key pg_dump writes on every run;
 * - `-- Dumped from database version …` / `-- Dumped by pg_dump version …`: the servers' versions;
 * - `SET …;` and `SELECT pg_catalog.set_config('search_path', '', false);`: session settings of the
 *   script, not schema.
 * Nothing is re-ordered: pg_dump sorts objects by kind, schema and name itself, so the order in which
 * objects were created does not show.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { PgCluster } from './pg-cluster.js';

export function schemaDump(cluster: PgCluster, database: string): string {
  const pgDump = path.join(cluster.binDir, 'pg_dump');
  const admin = process.env.YBV_TEST_PG_ADMIN_URL;
  let target: string[];
  if (cluster.socketDir) {
    target = ['-h', cluster.socketDir, '-p', String(cluster.port), '-U', 'postgres', database];
  } else if (admin) {
    const u = new URL(admin);
    u.pathname = '/' + database;
    target = ['--dbname', u.toString()];
  } else {
    throw new Error('schemaDump: no way to reach the cluster as an administrator');
  }
  const out = execFileSync(pgDump, ['--schema-only', '--no-owner', '--no-privileges', ...target], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return normaliseDump(out);
}

export function normaliseDump(dump: string): string {
  return dump
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l))
    .filter((l) => !/^-- Dumped (from database|by pg_dump) version /.test(l))
    .filter((l) => !/^SET [a-z_]+ = .*;$/.test(l))
    .filter((l) => l !== "SELECT pg_catalog.set_config('search_path', '', false);")
    .join('\n');
}
