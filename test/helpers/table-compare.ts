/**
 * Row-by-row comparison of tables between two databases: each row's text form (`t::text`), ordered by a
 * key, read under the same output settings on both sides so the text is comparable.
 */
import assert from 'node:assert/strict';
import type { PgCluster } from './pg-cluster.js';

const SETTINGS = "SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET bytea_output = 'hex'; SET lc_monetary = 'C'";

/** `SELECT t::text FROM <table> t ORDER BY <orderBy>` as plain strings. */
export async function tableRows(cluster: PgCluster, db: string, table: string, orderBy: string): Promise<string[]> {
  const c = await cluster.connectAdmin(db);
  try {
    await c.query(SETTINGS);
    const r = await c.query<{ r: string }>(`SELECT t::text AS r FROM ${table} t ORDER BY ${orderBy}`);
    return r.rows.map((x) => x.r);
  } finally {
    await c.end();
  }
}

/** Assert the table holds exactly the same rows on both sides; returns the row count. */
export async function assertSameRows(
  a: { cluster: PgCluster; db: string },
  b: { cluster: PgCluster; db: string },
  table: string,
  orderBy: string,
): Promise<number> {
  const [ra, rb] = await Promise.all([tableRows(a.cluster, a.db, table, orderBy), tableRows(b.cluster, b.db, table, orderBy)]);
  assert.equal(rb.length, ra.length, `${table}: ${rb.length} rows on the target, ${ra.length} on the source`);
  for (let i = 0; i < ra.length; i++) assert.equal(rb[i], ra[i], `${table}: row ${i + 1} differs`);
  return ra.length;
}

/** md5 over all rows in key order: cheap equality for big tables. */
export async function tableDigest(cluster: PgCluster, db: string, table: string, orderBy: string): Promise<{ rows: number; md5: string }> {
  const c = await cluster.connectAdmin(db);
  try {
    await c.query(SETTINGS);
    const r = await c.query<{ n: string; h: string }>(`SELECT count(*) AS n, coalesce(md5(string_agg(t::text, E'\\n' ORDER BY ${orderBy})), '') AS h FROM ${table} t`);
    return { rows: Number(r.rows[0].n), md5: r.rows[0].h };
  } finally {
    await c.end();
  }
}
