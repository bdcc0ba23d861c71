import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { MIGRATION_PASSWORD, type PgCluster } from '../test/helpers/pg-cluster.js';

/** The snapshot benchmark's tables (also verified by verify-bench): realistic widths and types, one big table. */
/** ~60 % of the rows in one wide table, the rest in medium and small tables. */
export const TABLES: { name: string; share: number; ddl: string; fill: (n: number) => string }[] = [
  {
    name: 'big', share: 0.6,
    ddl: 'CREATE TABLE big (id bigint PRIMARY KEY, label text, amount numeric(14,4), created timestamptz, attrs jsonb)',
    fill: (n) => `INSERT INTO big SELECT g, 'label-' || md5(g::text), (g % 100000) / 7.0, '2020-01-01'::timestamptz + g * interval '1.000001 second',
      jsonb_build_object('k', g % 1000, 'tags', jsonb_build_array('a', g % 7), 'note', repeat('x', g % 40)) FROM generate_series(1, ${n}) g`,
  },
  {
    name: 'mid1', share: 0.15,
    ddl: 'CREATE TABLE mid1 (id bigint PRIMARY KEY, customer int, qty int, price numeric(10,2), note text)',
    fill: (n) => `INSERT INTO mid1 SELECT g, g % 5000, g % 17, (g % 1000) / 3.0, 'note ' || g FROM generate_series(1, ${n}) g`,
  },
  {
    name: 'mid2', share: 0.15,
    ddl: 'CREATE TABLE mid2 (id uuid PRIMARY KEY, ts timestamptz, flag boolean, payload text)',
    fill: (n) => `INSERT INTO mid2 SELECT md5(g::text)::uuid, now() - g * interval '1 minute', g % 2 = 0, repeat(chr(65 + g % 26), 30) FROM generate_series(1, ${n}) g`,
  },
  ...['s1', 's2', 's3', 's4'].map((name) => ({
    name, share: 0.025,
    ddl: `CREATE TABLE ${name} (id int PRIMARY KEY, v text)`,
    fill: (n: number) => `INSERT INTO ${name} SELECT g, 'v' || g FROM generate_series(1, ${n}) g`,
  })),
];
export const DDL = TABLES.map((t) => t.ddl).join(';\n');

/**
 * The anchor both snapshot benchmarks measure against: one bare `COPY … TO STDOUT | COPY … FROM STDIN` pipe per
 * table, biggest first, `jobs` at a time (text, as our files; binary for comparison only).
 */
export async function bareCopyPipes(source: PgCluster, sourceDb: string, target: PgCluster, targetDb: string, jobs: number, binary = false): Promise<void> {
  const order = [...TABLES].sort((x, y) => y.share - x.share).map((t) => t.name);
  const fmt = binary ? ' WITH (FORMAT binary)' : '';
  const worker = async () => {
    const s = new pg.Client({ ...source.settings(sourceDb), password: MIGRATION_PASSWORD, ssl: false } as pg.ClientConfig);
    const d = new pg.Client({ ...target.settings(targetDb), password: MIGRATION_PASSWORD, ssl: false } as pg.ClientConfig);
    await Promise.all([s.connect(), d.connect()]);
    try {
      for (let name = order.shift(); name; name = order.shift()) {
        await pipeline(s.query(copyStreams.to(`COPY ${name} TO STDOUT${fmt}`)), d.query(copyStreams.from(`COPY ${name} FROM STDIN${fmt}`)));
      }
    } finally {
      await Promise.all([s.end(), d.end()]);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}
