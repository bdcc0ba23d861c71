/**
 * Row-by-row comparison for the cutover soak. Sessions use UTC and read every value as text. A pinned
 * comparison reads both sides inside REPEATABLE READ transactions opened at one moment (right at COMPLETED),
 * so the application may already write while the comparison runs.
 */
import pg from 'pg';
import { SOAK_TABLES } from './soak-schema.js';

const RAW = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

export async function rawSession(config: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client({ ...config, types: RAW });
  c.on('error', () => undefined); // surfaces as the failing query's error
  await c.connect();
  await c.query(`SET TimeZone = 'UTC'; SET extra_float_digits = 3`);
  return c;
}

async function tableRows(c: pg.Client, table: string, key: string): Promise<string[]> {
  return (await c.query(`SELECT * FROM public.${table} ORDER BY ${key}`)).rows.map((r) => JSON.stringify(r));
}

/** Differences between two sessions' views of every soak table; empty when equal row by row. */
export async function diffSessions(left: pg.Client, right: pg.Client): Promise<string[]> {
  const diffs: string[] = [];
  for (const t of SOAK_TABLES) {
    const [a, b] = await Promise.all([tableRows(left, t.table, t.key), tableRows(right, t.table, t.key)]);
    const onlyLeft = new Set(a);
    for (const r of b) onlyLeft.delete(r);
    const onlyRight = new Set(b);
    for (const r of a) onlyRight.delete(r);
    if (a.length !== b.length || onlyLeft.size || onlyRight.size) {
      const samples = [...[...onlyLeft].slice(0, 3).map((r) => `source ${r}`), ...[...onlyRight].slice(0, 3).map((r) => `target ${r}`)];
      diffs.push(`${t.table}: source ${a.length} rows, target ${b.length} rows; ${samples.join('; ')}`);
    }
  }
  return diffs;
}

export async function diffNow(source: pg.ClientConfig, target: pg.ClientConfig): Promise<string[]> {
  const [l, r] = await Promise.all([rawSession(source), rawSession(target)]);
  try {
    return await diffSessions(l, r);
  } finally {
    await Promise.all([l.end(), r.end()]);
  }
}

/** A session whose snapshot is taken now (its first statement), for a comparison done later. */
export async function pinSnapshot(config: pg.ClientConfig): Promise<pg.Client> {
  const c = await rawSession(config);
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await c.query('SELECT 1 FROM public.accounts LIMIT 1');
  return c;
}
