/**
 * The cutover soak's application: `clients` sessions writing short transactions with default ids (inserts,
 * updates, primary-key updates, deletes, cascades, partition moves). Client k touches only rows of owner k,
 * so its clients never wait for each other: no deadlock or serialization failure is the workload's own, and
 * any error is the migration's. The first error of each client is kept with the statement that got it.
 */
import pg from 'pg';

export interface WorkloadError {
  client: number;
  step: string;
  /** Milliseconds after the workload started. */
  atMs: number;
  message: string;
  code?: string;
  detail?: string;
}

const OWN_ITEM = `SELECT i.id FROM public.items i JOIN public.accounts a ON a.id = i.account_id WHERE a.owner = $1`;

/** One transaction per step, in this order, round and round. */
const STEPS: readonly { name: string; run: (c: pg.Client, owner: number, i: number) => Promise<void> }[] = [
  {
    name: 'insert account (identity ALWAYS), items (identity BY DEFAULT, ticket sequence, audit trigger), tags, event (bigserial)',
    run: async (c, owner, i) => {
      const a = await c.query<{ id: string }>(`INSERT INTO public.accounts (owner, name) VALUES ($1, $2) RETURNING id`, [owner, `acct ${owner}.${i}`]);
      const id = a.rows[0].id;
      const it = await c.query<{ id: string }>(`INSERT INTO public.items (account_id, qty) VALUES ($1, 1), ($1, 2) RETURNING id`, [id]);
      await c.query(`INSERT INTO public.item_tags (item_id, tag) VALUES ($1, 'new'), ($1, 'hot')`, [it.rows[0].id]);
      await c.query(`INSERT INTO public.events (account_id, day, payload) VALUES ($1, DATE '2026-01-01' + $2::int % 700, 'created')`, [id, i]);
    },
  },
  {
    name: 'insert notes_a and notes_b (one shared sequence)',
    run: async (c, owner, i) => {
      await c.query(`INSERT INTO public.notes_a (owner, body) VALUES ($1, $2)`, [owner, `a ${i}`]);
      await c.query(`INSERT INTO public.notes_b (owner, body) VALUES ($1, $2)`, [owner, `b ${i}`]);
    },
  },
  {
    name: 'update an item (audit trigger)',
    run: async (c, owner) => {
      await c.query(`UPDATE public.items SET qty = qty + 1 WHERE id = (SELECT max(id) FROM (${OWN_ITEM}) o)`, [owner]);
    },
  },
  {
    name: 'update an item primary key (cascades to item_tags)',
    run: async (c, owner) => {
      await c.query(`UPDATE public.items SET id = -id WHERE id = (SELECT min(id) FROM (${OWN_ITEM}) o WHERE id > 0)`, [owner]);
    },
  },
  {
    name: 'delete an item (cascades to item_tags, audit trigger)',
    run: async (c, owner) => {
      await c.query(`DELETE FROM public.items WHERE id = (SELECT min(id) FROM (${OWN_ITEM}) o)`, [owner]);
    },
  },
  {
    name: 'move an event to another partition',
    run: async (c, owner) => {
      await c.query(
        `UPDATE public.events SET day = day + 200, payload = 'moved'
         WHERE (id, day) = (SELECT e.id, e.day FROM public.events e JOIN public.accounts a ON a.id = e.account_id WHERE a.owner = $1 ORDER BY e.id LIMIT 1)`,
        [owner],
      );
    },
  },
  {
    name: 'delete an account (cascades to items, item_tags, events; audit trigger)',
    run: async (c, owner) => {
      await c.query(`DELETE FROM public.accounts WHERE id = (SELECT min(id) FROM public.accounts WHERE owner = $1)`, [owner]);
    },
  },
  {
    name: 'update and delete notes',
    run: async (c, owner) => {
      await c.query(`UPDATE public.notes_b SET body = body || '.' WHERE id = (SELECT max(id) FROM public.notes_b WHERE owner = $1)`, [owner]);
      await c.query(`DELETE FROM public.notes_a WHERE id = (SELECT min(id) FROM public.notes_a WHERE owner = $1)`, [owner]);
    },
  },
];

export class SoakWorkload {
  readonly errors: WorkloadError[] = [];
  transactions = 0;
  private stopRequested = false;
  private loops: Promise<void>[] = [];
  private started = 0;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly clients: number,
    private readonly pauseMs = 2,
  ) {}

  /** Connect every client, then start them all at once (the first transaction follows at once). */
  async start(): Promise<void> {
    const sessions = await Promise.all(Array.from({ length: this.clients }, async () => {
      const c = new pg.Client(this.config);
      c.on('error', () => undefined); // surfaces as the failing query's error
      await c.connect();
      return c;
    }));
    this.started = Date.now();
    this.loops = sessions.map((c, k) => this.loop(c, k));
  }

  private async loop(c: pg.Client, owner: number): Promise<void> {
    let i = 0;
    try {
      while (!this.stopRequested) {
        const step = STEPS[i % STEPS.length];
        try {
          await c.query('BEGIN');
          await step.run(c, owner, i);
          await c.query('COMMIT');
          this.transactions++;
        } catch (e) {
          const err = e as { message: string; code?: string; detail?: string };
          this.errors.push({ client: owner, step: step.name, atMs: Date.now() - this.started, message: err.message, code: err.code, detail: err.detail });
          await c.query('ROLLBACK').catch(() => undefined);
          return; // the first error of a client is the one that matters
        }
        i++;
        if (this.pauseMs) await new Promise((r) => setTimeout(r, this.pauseMs));
      }
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /** Stop after each client's current transaction. */
  async stop(): Promise<{ transactions: number; errors: WorkloadError[] }> {
    this.stopRequested = true;
    await Promise.all(this.loops);
    return { transactions: this.transactions, errors: this.errors };
  }
}
