/**
 * The MariaDB demo's application: customers, orders (ON DELETE CASCADE to customers, an enum, decimals, a
 * TIMESTAMP) and order_audit (filled by triggers on orders, a DATETIME(6)), all with AUTO_INCREMENT keys.
 * Its workload runs the same SQL on MariaDB before cutover and on the PostgreSQL target after it (`?`
 * placeholders, `INSERT … RETURNING`, no subquery on the table being changed — MySQL refuses those).
 */
import pg from 'pg';
import type mysql from 'mysql2/promise';
import { diffRows, type TableDiff } from './verify.js';

export const MARIADB_APP_SCHEMA = [
  `CREATE TABLE customers (
     id int AUTO_INCREMENT PRIMARY KEY,
     name varchar(80) NOT NULL,
     email varchar(120) NOT NULL UNIQUE,
     tier enum('basic', 'gold', 'platinum') NOT NULL DEFAULT 'basic',
     created_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
  `CREATE TABLE orders (
     id bigint AUTO_INCREMENT PRIMARY KEY,
     customer_id int NOT NULL,
     amount decimal(12, 2) NOT NULL,
     status enum('new', 'paid', 'shipped') NOT NULL DEFAULT 'new',
     placed_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
     CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE)`,
  `CREATE TABLE order_audit (
     id bigint AUTO_INCREMENT PRIMARY KEY,
     order_id bigint NOT NULL,
     action varchar(10) NOT NULL,
     logged_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))`,
  `CREATE TRIGGER orders_audit_insert AFTER INSERT ON orders FOR EACH ROW INSERT INTO order_audit (order_id, action) VALUES (NEW.id, 'insert')`,
  `CREATE TRIGGER orders_audit_update AFTER UPDATE ON orders FOR EACH ROW INSERT INTO order_audit (order_id, action) VALUES (NEW.id, 'update')`,
];

/** The triggers rewritten in PL/pgSQL for the target: the step analyze-schema asks for (MySQL triggers are not converted). */
export const PG_AUDIT_TRIGGER = `
  CREATE FUNCTION public.audit_order() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO public.order_audit (order_id, action) VALUES (NEW.id, lower(TG_OP));
    RETURN NEW;
  END $$;
  CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.audit_order();`;

/** Initial data (the session in UTC, so the TIMESTAMP literals mean the same everywhere). */
export const MARIADB_APP_SEED = `SET time_zone = '+00:00';
  INSERT INTO customers (name, email, tier, created_at)
    SELECT CONCAT('customer ', seq), CONCAT('c', seq, '@example.com'), ELT(1 + seq % 3, 'basic', 'gold', 'platinum'), '2025-01-01' + INTERVAL seq MINUTE
    FROM seq_1_to_2000;
  INSERT INTO orders (customer_id, amount, status, placed_at)
    SELECT 1 + seq % 2000, ROUND(RAND() * 1000, 2), ELT(1 + seq % 3, 'new', 'paid', 'shipped'), '2025-06-01' + INTERVAL seq MINUTE
    FROM seq_1_to_20000`;

export const MARIADB_APP_TABLES = [
  { table: 'customers', columns: ['id', 'name', 'email', 'tier', 'created_at'] },
  { table: 'orders', columns: ['id', 'customer_id', 'amount', 'status', 'placed_at'] },
  { table: 'order_audit', columns: ['id', 'order_id', 'action', 'logged_at'] },
] as const;

/** Where PostgreSQL's text of a value differs from MariaDB's in format only, it is printed MariaDB's way. */
const PG_TEXT: Record<string, string> = {
  placed_at: `to_char(placed_at, 'YYYY-MM-DD HH24:MI:SS')`, // timestamptz: '… +00' otherwise
  logged_at: `to_char(logged_at, 'YYYY-MM-DD HH24:MI:SS.US')`, // trailing zeros of the microseconds dropped otherwise
};

/** One connection, as the application's code sees it: `?` placeholders, rows back. */
export interface SqlSession {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  end(): Promise<void>;
}

export function mariaDbSession(c: mysql.Connection): SqlSession {
  return {
    query: async (sql, params = []) => {
      const [r] = await c.query(sql, params);
      return Array.isArray(r) ? (r as Record<string, unknown>[]) : [];
    },
    end: () => c.end(),
  };
}

export async function postgresSession(config: pg.ClientConfig): Promise<SqlSession> {
  const c = new pg.Client({ ...config, types: { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig });
  c.on('error', () => undefined); // surfaces as the failing query's error
  await c.connect();
  return {
    query: async (sql, params = []) => {
      let n = 0;
      return (await c.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
    },
    end: () => c.end(),
  };
}

/** Every table, row by row, each value as text; empty when both sides are equal. Row counts come along. */
export async function compareMariaDbWithPostgres(maria: SqlSession, target: SqlSession): Promise<{ diffs: TableDiff[]; counts: string[] }> {
  await maria.query(`SET time_zone = '+00:00'`);
  await target.query(`SET TimeZone = 'UTC'`);
  const diffs: TableDiff[] = [];
  const counts: string[] = [];
  for (const { table, columns } of MARIADB_APP_TABLES) {
    const line = (r: Record<string, unknown>) => JSON.stringify(columns.map((c) => r[c] ?? null));
    const [a, b] = await Promise.all([
      maria.query(`SELECT ${columns.map((c) => `CAST(${c} AS CHAR) AS ${c}`).join(', ')} FROM ${table} ORDER BY id`),
      target.query(`SELECT ${columns.map((c) => `${PG_TEXT[c] ?? `${c}::text`} AS ${c}`).join(', ')} FROM public.${table} ORDER BY id`),
    ]);
    const d = diffRows(table, a.map(line), b.map(line));
    if (d) diffs.push(d);
    counts.push(`${table} ${a.length}`);
  }
  return { diffs, counts };
}

const TIERS = ['basic', 'gold', 'platinum'];

/**
 * Writes until stopped, one short transaction at a time: new customers with two orders (default ids; the
 * trigger audits them), order status updates (audited), customer updates, order deletes, and customer deletes
 * that take the customer's orders with them (ON DELETE CASCADE). An error stops it and is rethrown by stop().
 */
export class AppWorkload {
  transactions = 0;
  cascadingDeletes = 0;
  private stopRequested = false;
  private running: Promise<void> | undefined;
  private error: Error | undefined;

  constructor(
    private readonly session: SqlSession,
    /** Written into names and emails, so each phase's rows can be told apart. */
    private readonly tag: string,
  ) {}

  start(): void {
    this.running = (async () => {
      try {
        for (let i = 0; !this.stopRequested; i++) {
          await this.transaction(i);
          await new Promise((r) => setTimeout(r, 5));
        }
      } catch (e) {
        this.error = e as Error;
      }
    })();
  }

  /** Stop after the current transaction; the number of transactions committed. */
  async stop(): Promise<number> {
    this.stopRequested = true;
    await this.running;
    await this.session.end().catch(() => undefined);
    if (this.error) throw this.error;
    return this.transactions;
  }

  private async transaction(i: number): Promise<void> {
    const q = (sql: string, params: unknown[] = []) => this.session.query(sql, params);
    await q('BEGIN');
    try {
      switch (i % 5) {
        case 0: {
          const [c] = await q('INSERT INTO customers (name, email, tier) VALUES (?, ?, ?) RETURNING id', [`${this.tag} ${i}`, `${this.tag}.${i}@example.com`, TIERS[i % 3]]);
          await q('INSERT INTO orders (customer_id, amount) VALUES (?, ?), (?, ?)', [c.id, `${i % 997}.50`, c.id, '12.34']);
          break;
        }
        case 1: {
          const [o] = await q('SELECT id FROM orders ORDER BY id DESC LIMIT 1 OFFSET ?', [i % 50]);
          if (o) await q('UPDATE orders SET status = ?, amount = amount + 1 WHERE id = ?', [i % 2 ? 'paid' : 'shipped', o.id]);
          break;
        }
        case 2: {
          const [c] = await q('SELECT id FROM customers ORDER BY id LIMIT 1 OFFSET ?', [i % 100]);
          if (c) await q(`UPDATE customers SET name = CONCAT(name, '.'), tier = ? WHERE id = ?`, [TIERS[(i + 1) % 3], c.id]);
          break;
        }
        case 3: {
          const [o] = await q(`SELECT id FROM orders WHERE status <> 'new' ORDER BY id LIMIT 1`);
          if (o) await q('DELETE FROM orders WHERE id = ?', [o.id]);
          break;
        }
        default: {
          const [c] = await q('SELECT id FROM customers ORDER BY id LIMIT 1');
          if (c) await q('DELETE FROM customers WHERE id = ?', [c.id]); // its orders go too: ON DELETE CASCADE
          this.cascadingDeletes++;
        }
      }
      await q('COMMIT');
      this.transactions++;
    } catch (e) {
      await q('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }
}
