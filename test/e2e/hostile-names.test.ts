/**
 * Every legal name works everywhere: schemas, tables, columns, sequences, indexes and triggers named with
 * hyphens, dots, spaces, quotes, backslashes, % and _, * and ?, slashes, mixed case, reserved words, non-ASCII
 * letters and the 63-byte maximum, migrated live with fall-back through the CLI (snapshot, changes, cutover
 * both ways, end migration) and compared row by row after each cutover.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { qualified, quoteIdent, quoteLiteral } from '../../src/core/sql-names.js';
import { assertNothingLeft, cliSession, cutoverStatus, poll, startSourceAndTarget } from '../helpers/live-rig.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, type PgCluster } from '../helpers/pg-cluster.js';

const SCHEMAS = ['public', 'pg-schema', 'Mixed Case.Dot "q"'];
/** 31 two-byte letters and one ASCII: exactly PostgreSQL's 63-byte limit. */
const LONGEST = 'é'.repeat(31) + 'x';
const TABLES: { schema: string; table: string; id: 'identity' | 'bigserial' | 'sequence' }[] = [
  { schema: 'pg-schema', table: 'my-table', id: 'identity' },
  { schema: 'pg-schema', table: "it's", id: 'bigserial' },
  { schema: 'Mixed Case.Dot "q"', table: 'with space', id: 'sequence' },
  { schema: 'public', table: 'back\\slash', id: 'bigserial' },
  { schema: 'public', table: '100%_done', id: 'identity' },
  { schema: 'public', table: 'star*', id: 'bigserial' },
  { schema: 'public', table: 'what?', id: 'bigserial' },
  { schema: 'public', table: 'a/b', id: 'bigserial' },
  { schema: 'public', table: 'Ünïcødé', id: 'identity' },
  { schema: 'public', table: 'select', id: 'bigserial' },
  { schema: 'public', table: LONGEST, id: 'bigserial' },
];
const AUDIT = { schema: 'pg-schema', table: 'audit-log' };
const SEQUENCE = qualified('Mixed Case.Dot "q"', 'seq-name "1"');
/** Columns besides the key: a reserved word, a hyphen, a double quote, a non-ASCII letter. */
const COLS = ['order', 'Col-Name', 'a"b', 'é'];

function schemaSql(): string {
  const out: string[] = [];
  for (const s of SCHEMAS.filter((x) => x !== 'public')) out.push(`CREATE SCHEMA ${quoteIdent(s)}`);
  out.push(`CREATE SEQUENCE ${SEQUENCE}`);
  TABLES.forEach((t, i) => {
    const id = t.id === 'identity' ? 'bigint GENERATED ALWAYS AS IDENTITY' : t.id === 'bigserial' ? 'bigserial' : `bigint DEFAULT nextval(${quoteLiteral(SEQUENCE)})`;
    out.push(`CREATE TABLE ${qualified(t.schema, t.table)} (id ${id} PRIMARY KEY, ${quoteIdent(COLS[0])} text, ${quoteIdent(COLS[1])} int, ${quoteIdent(COLS[2])} text, ${quoteIdent(COLS[3])} numeric(10,2))`);
    out.push(`CREATE INDEX ${quoteIdent(`idx-${i} "${t.table.slice(0, 20)}"`)} ON ${qualified(t.schema, t.table)} (${quoteIdent(COLS[1])})`);
  });
  out.push(`CREATE TABLE ${qualified(AUDIT.schema, AUDIT.table)} (id bigserial PRIMARY KEY, ${quoteIdent('what happened')} text)`);
  out.push(`CREATE FUNCTION ${qualified('pg-schema', 'trg-fn "x"')}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO ${qualified(AUDIT.schema, AUDIT.table)} (${quoteIdent('what happened')}) VALUES (TG_OP || ' ' || NEW.id); RETURN NEW; END $$`);
  out.push(`CREATE TRIGGER ${quoteIdent('on-insert "t"')} AFTER INSERT ON ${qualified('pg-schema', 'my-table')} FOR EACH ROW EXECUTE FUNCTION ${qualified('pg-schema', 'trg-fn "x"')}()`);
  return out.join(';\n');
}

const ALL = [...TABLES, AUDIT];

/** Inserts with default ids, updates of every column, a delete: `round` makes each round's values its own. */
async function write(c: pg.Client, round: string, n: number): Promise<void> {
  for (const t of TABLES) {
    const name = qualified(t.schema, t.table);
    const cols = COLS.map(quoteIdent).join(', ');
    for (let i = 0; i < n; i++) {
      await c.query(`INSERT INTO ${name} (${cols}) VALUES ($1, $2, $3, $4)`, [`${round}'"\\${i}`, i, `tab\there ${round}`, `${i}.25`]);
    }
    await c.query(`UPDATE ${name} SET ${quoteIdent(COLS[0])} = ${quoteIdent(COLS[0])} || ' upd', ${quoteIdent(COLS[1])} = ${quoteIdent(COLS[1])} + 100 WHERE id = (SELECT min(id) FROM ${name})`);
    await c.query(`DELETE FROM ${name} WHERE id = (SELECT max(id) FROM ${name})`);
  }
}

/** Row-by-row digests of every table (text of each row, in key order). */
async function digests(cluster: PgCluster, db: string): Promise<Record<string, string>> {
  const c = await cluster.connectAdmin(db);
  try {
    const out: Record<string, string> = {};
    for (const t of ALL) {
      const r = await c.query(`SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x.id)), '-') AS d FROM ${qualified(t.schema, t.table)} x`);
      out[`${t.schema}.${t.table}`] = r.rows[0].d as string;
    }
    return out;
  } finally {
    await c.end();
  }
}

let source: PgCluster;
let target: PgCluster;
let srcDb: string;
let tgtDb: string;
let exportDir: string;
const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_METRICS_INTERVAL_MS: '2000' };
const { start, cli, killAll } = cliSession(env);

before(async () => {
  ({ source, target, srcDb, tgtDb } = await startSourceAndTarget('names', async (c) => {
    await c.query(schemaSql());
    for (const s of SCHEMAS) await c.query(`ALTER SCHEMA ${quoteIdent(s)} OWNER TO ${MIGRATION_USER}`);
    for (const t of ALL) await c.query(`ALTER TABLE ${qualified(t.schema, t.table)} OWNER TO ${MIGRATION_USER}`);
    await write(c, 'seed', 4);
  }));
  exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-names-'));
});

after(async () => {
  await killAll();
  await Promise.all([source?.stop(), target?.stop()]);
  if (exportDir) fs.rmSync(exportDir, { recursive: true, force: true });
});

async function waitEqual(what: string): Promise<void> {
  await poll(what, async () => {
    const [a, b] = await Promise.all([digests(source, srcDb), digests(target, tgtDb)]);
    return JSON.stringify(a) === JSON.stringify(b) ? true : undefined;
  });
  const [a, b] = await Promise.all([digests(source, srcDb), digests(target, tgtDb)]);
  assert.deepEqual(b, a, what);
}

const status = (direction: 'source → target' | 'target → source') => cutoverStatus(cli, exportDir, direction);

test('a hyphenated schema in --source-db-schema no longer crashes export data (the reported case)', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-names-only-'));
  try {
    const out = await cli(['export', 'data', 'from', 'source', '--export-dir', dir, ...source.flags('source', srcDb), '--source-db-schema', 'public,pg-schema', '--export-type', 'snapshot-only']);
    assert.match(out, /snapshot exported/);
    assert.match(out, /"pg-schema"\."my-table"/);
    assert.doesNotMatch(out, /Invalid regular expression/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile names: live migration with fall-back, cutover both ways, end migration', { timeout: 300_000 }, async () => {
  const schemaList = SCHEMAS.map((s) => (s === 'public' || s === 'pg-schema' ? s : `"${s.replace(/"/g, '""')}"`)).join(',');
  const srcFlags = ['--export-dir', exportDir, ...source.flags('source', srcDb), '--source-db-schema', schemaList];
  const tgtFlags = ['--export-dir', exportDir, ...target.flags('target', tgtDb)];
  await cli(['export', 'schema', ...srcFlags]);
  await cli(['import', 'schema', ...tgtFlags]);

  const exporter = start(['export', 'data', 'from', 'source', ...srcFlags, '--export-type', 'snapshot-and-changes']);
  await exporter.waitForLine(/streaming changes from the source/);
  const importer = start(['import', 'data', 'to', 'target', ...tgtFlags]);
  await importer.waitForLine(/applying the streamed changes/);
  await cli(['import', 'schema', ...tgtFlags, '--post-snapshot-import', 'true']);
  const sc = await source.connectAdmin(srcDb);
  try {
    await write(sc, 'live', 5);
  } finally {
    await sc.end();
  }
  await waitEqual('the target to catch up with the source');

  await cli(['initiate', 'cutover', 'to', 'target', '--export-dir', exportDir, '--prepare-for-fall-back', 'true']);
  await poll('cutover to target COMPLETED', async () => ((await status('source → target')) === 'COMPLETED' ? true : undefined));
  await waitEqual('after cutover to target');

  // The application on the target: default ids from every kind of restored sequence; the trigger fires there.
  const tc = await target.connectAdmin(tgtDb);
  try {
    await write(tc, 'on-target', 3);
  } finally {
    await tc.end();
  }
  await waitEqual('the source to follow the target');

  await cli(['initiate', 'cutover', 'to', 'source', '--export-dir', exportDir]);
  const [e, i] = await Promise.all([exporter.wait(), importer.wait()]);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(i.code, 0, i.stderr);
  assert.equal(await status('target → source'), 'COMPLETED');
  await waitEqual('after cutover to source');

  const back = await source.connectAdmin(srcDb);
  try {
    await write(back, 'back-on-source', 2); // default ids after the cutover back: no duplicate key
    const audit = await back.query(`SELECT count(*) AS n FROM ${qualified(AUDIT.schema, AUDIT.table)}`);
    // seed 4 + live 5 + back 2 inserts fired on the source; the target's 3 fired there and came back as rows.
    assert.equal(audit.rows[0].n, String(4 + 5 + 3 + 2), 'the trigger fired once per application insert, never for applied changes');
  } finally {
    await back.end();
  }

  await cli(['end', 'migration', '--export-dir', exportDir, '--backup-log-files', 'false', '--backup-data-files', 'false',
    '--backup-schema-files', 'false', '--save-migration-reports', 'false']);
  for (const [cluster, db] of [[source, srcDb], [target, tgtDb]] as const) await assertNothingLeft(cluster, db);
});
