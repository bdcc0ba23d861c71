/**
 * Row-by-row comparison of the same tables in two databases: every column's text value, in key order.
 * Both sessions use UTC so timestamptz values print the same.
 */
import pg from 'pg';

export interface TableDiff {
  table: string;
  leftRows: number;
  rightRows: number;
  /** First differing rows (at most a few), as JSON text. */
  samples: string[];
}

const RAW = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

async function rows(config: pg.ClientConfig, schema: string, table: string, key: string): Promise<string[]> {
  const c = new pg.Client({ ...config, types: RAW });
  c.on('error', () => undefined); // surfaces as the failing query's error
  await c.connect();
  try {
    await c.query(`SET TimeZone = 'UTC'; SET extra_float_digits = 3`);
    const r = await c.query(`SELECT * FROM "${schema}"."${table}" ORDER BY "${key}"`);
    return r.rows.map((row) => JSON.stringify(row));
  } finally {
    await c.end();
  }
}

/** Every difference between the two sides; empty when they are equal row by row. */
export async function compareTables(
  left: pg.ClientConfig,
  right: pg.ClientConfig,
  tables: readonly { table: string; key: string }[],
  schema = 'public',
): Promise<TableDiff[]> {
  const diffs: TableDiff[] = [];
  for (const t of tables) {
    const [a, b] = await Promise.all([rows(left, schema, t.table, t.key), rows(right, schema, t.table, t.key)]);
    const d = diffRows(t.table, a, b);
    if (d) diffs.push(d);
  }
  return diffs;
}

/** How two tables' rows (each as one comparable string) differ; undefined when they are the same. */
export function diffRows(table: string, a: string[], b: string[]): TableDiff | undefined {
  const onlyLeft = new Set(a);
  for (const r of b) onlyLeft.delete(r);
  const onlyRight = new Set(b);
  for (const r of a) onlyRight.delete(r);
  if (a.length === b.length && !onlyLeft.size && !onlyRight.size) return undefined;
  return {
    table,
    leftRows: a.length,
    rightRows: b.length,
    samples: [...[...onlyLeft].slice(0, 3).map((r) => `< ${r}`), ...[...onlyRight].slice(0, 3).map((r) => `> ${r}`)],
  };
}

export async function rowCount(config: pg.ClientConfig, schema: string, table: string): Promise<number> {
  const c = new pg.Client(config);
  c.on('error', () => undefined);
  await c.connect();
  try {
    return Number((await c.query(`SELECT count(*) AS n FROM "${schema}"."${table}"`)).rows[0].n);
  } finally {
    await c.end();
  }
}
