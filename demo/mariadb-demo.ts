/**
 * `npm run demo:mariadb`: the live migration with fall-back from a throwaway MariaDB to a throwaway PostgreSQL, with
 * an application writing on MariaDB all along, on PostgreSQL after the cutover (its changes flowing back), and on
 * MariaDB again after the cutover back. Every step runs our CLI as a user would and prints it (demo/session.ts);
 * after each cutover every table is compared row by row, values as text.
 *
 * Needs MariaDB server binaries (`mariadb-install-db`, `mariadbd`) on PATH and PostgreSQL's (docs/demo.md).
 */
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD, MYSQL_MIGRATION_USER } from '../test/helpers/mariadb-server.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../test/helpers/pg-cluster.js';
import { locatePostgres } from './locate-postgres.js';
import {
  AppWorkload, compareMariaDbWithPostgres, MARIADB_APP_SCHEMA, MARIADB_APP_SEED, MARIADB_APP_TABLES, mariaDbSession, PG_AUDIT_TRIGGER,
  postgresSession, type SqlSession,
} from './mariadb-app.js';
import { bold, runDemo, sleep, type DemoSession } from './session.js';

async function main(demo: DemoSession): Promise<void> {
  const { exportDir } = demo;
  locatePostgres();
  demo.heading('A throwaway MariaDB (the source, binlog in ROW format) and a throwaway PostgreSQL (the target)');
  const [source, target] = await Promise.all([MariaDbServer.start({ extraArgs: ['--binlog-row-metadata=FULL'] }), PgCluster.start()]);
  demo.servers.push(source, target);
  const srcDb = await source.createDatabase('shop');
  const tgtDb = await target.createDatabase('shop');
  console.log(`  source: mysql://${MYSQL_MIGRATION_USER}@${source.host}:${source.port}/${srcDb}`);
  console.log(`  target: postgresql://${MIGRATION_USER}@${target.host}:${target.port}/${tgtDb}`);
  console.log(`  export dir: ${exportDir}`);
  console.log('  passwords: SOURCE_DB_PASSWORD and TARGET_DB_PASSWORD are set in the environment of every command');
  const onSource = async () => mariaDbSession(await source.connectMigrationUser(srcDb));
  const onTarget = () => postgresSession({ host: target.host, port: target.port, user: MIGRATION_USER, password: MIGRATION_PASSWORD, database: tgtDb });

  demo.heading('The application on MariaDB: customers, orders (ON DELETE CASCADE, enum, decimal, timestamp), order_audit (triggers)');
  for (const ddl of MARIADB_APP_SCHEMA) await source.query(ddl, [], srcDb);
  await source.query(MARIADB_APP_SEED, [], srcDb);
  const counts = await source.query<{ t: string; n: number }[]>(MARIADB_APP_TABLES.map((t) => `SELECT '${t.table}' AS t, count(*) AS n FROM ${t.table}`).join(' UNION ALL '), [], srcDb);
  for (const c of counts) console.log(`  ${c.t}: ${c.n} rows`);
  const app = new AppWorkload(await onSource(), 'app-on-mariadb');
  demo.workloads.add(app);
  app.start();
  console.log('  the application is writing to MariaDB (inserts, updates, deletes, cascading deletes) from now on');

  const srcFlags = ['--export-dir', exportDir, ...source.flags(srcDb)];
  const tgtFlags = ['--export-dir', exportDir, ...target.flags('target', tgtDb)];

  demo.heading('Schema: export (converted to PostgreSQL), analyze, import');
  await demo.run(['export', 'schema', ...srcFlags]);
  await demo.run(['analyze-schema', '--export-dir', exportDir, '--output-format', 'txt']);
  await demo.run(['import', 'schema', ...tgtFlags]);

  demo.heading('Live data migration: export data from source (snapshot + binlog) and import data to target');
  const { exporter, importer } = await demo.startDataMigration(srcFlags, tgtFlags);

  demo.heading('Indexes on the target once the snapshot is in, and the triggers analyze-schema flagged, rewritten in PL/pgSQL');
  await demo.run(['import', 'schema', ...tgtFlags, '--post-snapshot-import', 'true']);
  // import data's sessions run as replication (session_replication_role = replica): these do not fire for them.
  await withSession(onTarget, (t) => t.query(PG_AUDIT_TRIGGER));
  console.log('  created on the target: public.audit_order() and the trigger orders_audit (AFTER INSERT OR UPDATE)');
  await sleep(3000);
  await demo.run(['get', 'data-migration-report', '--export-dir', exportDir]);

  demo.heading('Cutover to target, keeping the way back to MariaDB');
  const written = await app.stop();
  demo.workloads.delete(app);
  console.log(`  the application stopped writing to MariaDB (${written} transactions during the migration, ${app.cascadingDeletes} cascading deletes)`);
  await demo.until('the target to catch up', async () => ((await compare(onSource, onTarget)).diffs.length === 0 ? true : undefined));
  console.log('  import data to target has caught up');
  const triggersBefore = await sourceTriggers(source, srcDb);
  await demo.run(['initiate', 'cutover', 'to', 'target', '--export-dir', exportDir, '--prepare-for-fall-back', 'true']);
  await demo.until('cutover to target', async () => ((await demo.cutoverStatus('source → target')) === 'COMPLETED' ? true : undefined));
  await demo.run(['cutover', 'status', '--export-dir', exportDir]);
  await identical(onSource, onTarget, 'at cutover to target');
  await demo.until('the source triggers to be set aside', async () => ((await sourceTriggers(source, srcDb)).length === 0 ? true : undefined));
  console.log('  export data from source now runs as import data to source; import data to target as export data from target');
  console.log(`  MariaDB cannot switch triggers off for one session: its ${triggersBefore.length} triggers are saved in ybvoyager_metadata and set aside`);
  console.log(`  (${exportDir}/scripts/source-triggers-restore.sql recreates them), so the audit rows the target writes are not written twice`);

  demo.heading('The application now writes to PostgreSQL; every change flows back to MariaDB');
  const maxBefore = await withSession(onTarget, (t) => t.query('SELECT max(id) AS c FROM customers UNION ALL SELECT max(id) FROM order_audit'));
  const appOnTarget = new AppWorkload(await onTarget(), 'app-on-postgres');
  demo.workloads.add(appOnTarget);
  appOnTarget.start();
  await sleep(5000);
  const onPg = await appOnTarget.stop();
  demo.workloads.delete(appOnTarget);
  const [newCustomers, newAudit] = await withSession(onTarget, (t) => t.query(
    `SELECT count(*) AS n, min(id) AS first FROM customers WHERE id > ? UNION ALL SELECT count(*), min(id) FROM order_audit WHERE id > ?`,
    [maxBefore[0].c, maxBefore[1].c]));
  console.log(`  ${onPg} transactions on PostgreSQL (${appOnTarget.cascadingDeletes} cascading deletes), the same SQL as on MariaDB`);
  console.log(`  ${newCustomers.n} new customers, ids from ${newCustomers.first} on: the identity continues past MariaDB's last AUTO_INCREMENT id ${maxBefore[0].c}`);
  console.log(`  ${newAudit.n} audit rows written by the PL/pgSQL trigger, ids from ${newAudit.first} on`);
  if (Number(newCustomers.n) === 0 || Number(newAudit.n) === 0) throw new Error('the application wrote nothing on PostgreSQL');
  await demo.until('MariaDB to catch up', async () => ((await compare(onSource, onTarget)).diffs.length === 0 ? true : undefined));
  console.log('  import data to source has caught up: MariaDB holds every change, cascaded deletes and audit rows included, once');

  demo.heading('Cutover back to MariaDB');
  await demo.run(['initiate', 'cutover', 'to', 'source', '--export-dir', exportDir]);
  const [e, i] = await Promise.all([exporter.wait(), importer.wait()]);
  console.log(`  both processes finished: import data to source exited ${e.code}, export data from target exited ${i.code}`);
  if (e.code !== 0 || i.code !== 0) throw new Error('a data migration process failed');
  await demo.run(['cutover', 'status', '--export-dir', exportDir]);
  if ((await demo.cutoverStatus('target → source')) !== 'COMPLETED') throw new Error('cutover to source did not complete');
  const final = await identical(onSource, onTarget, 'after the round trip');
  const triggersAfter = await sourceTriggers(source, srcDb);
  if (JSON.stringify(triggersAfter) !== JSON.stringify(triggersBefore)) throw new Error('the source triggers did not come back as they were');
  console.log(`  MariaDB's triggers are back exactly as they were: ${triggersAfter.map((t) => t.name).join(', ')} (definer, sql_mode and order included)`);

  demo.heading('The application writes to MariaDB again');
  const maxOnPg = await withSession(onTarget, (t) => t.query('SELECT max(id) AS c FROM customers'));
  const back = new AppWorkload(await onSource(), 'app-back-on-mariadb');
  demo.workloads.add(back);
  back.start();
  await sleep(3000);
  const onMaria = await back.stop();
  demo.workloads.delete(back);
  const [fresh] = await withSession(onSource, (m) => m.query('SELECT count(*) AS n, min(id) AS first FROM customers WHERE id > ?', [maxOnPg[0].c]));
  console.log(`  ${onMaria} transactions on MariaDB: ${fresh.n} new customers from id ${fresh.first} on, past every id PostgreSQL handed out (${maxOnPg[0].c}); no duplicate key`);
  if (Number(fresh.n) === 0) throw new Error('the application wrote nothing on MariaDB');

  demo.heading('The migration report, both directions');
  await demo.run(['get', 'data-migration-report', '--export-dir', exportDir]);
  // FINAL_ROW_COUNT adds up the binlog's changes; InnoDB's cascaded deletes never reach the binlog.
  console.log(`  after the round trip the tables held ${final.counts.join(', ')} rows: FINAL_ROW_COUNT counts the binlog's changes,`);
  console.log('  and the orders deleted by ON DELETE CASCADE on MariaDB are not in it (docs/mysql.md, "Cascades")');

  demo.heading('End migration');
  await demo.endMigration();
  const [left] = await withSession(onTarget, (t) => t.query(`SELECT count(*) AS n FROM pg_namespace WHERE nspname LIKE 'ybvoyager%'`));
  const leftOnSource = await source.query<unknown[]>("SHOW DATABASES LIKE 'ybvoyager%'");
  console.log(`  target: ${left.n} metadata schemas left; MariaDB: ${leftOnSource.length} metadata databases left`);
  if (Number(left.n) !== 0 || leftOnSource.length !== 0) throw new Error('end migration left its metadata behind');
  console.log(`\n${bold('Demo complete.')} Cleaning up the servers and the export dir.`);
}

/** Every table row by row, MariaDB against PostgreSQL (each value as text); throws on a difference. */
async function identical(onSource: () => Promise<SqlSession>, onTarget: () => Promise<SqlSession>, when: string): Promise<{ counts: string[] }> {
  const r = await compare(onSource, onTarget);
  if (r.diffs.length) {
    for (const d of r.diffs) console.log(`  ${d.table}: MariaDB ${d.leftRows} rows, PostgreSQL ${d.rightRows} rows\n${d.samples.map((s) => `    ${s}`).join('\n')}`);
    throw new Error(`MariaDB and PostgreSQL differ ${when}`);
  }
  console.log(`  ${when}: MariaDB and PostgreSQL identical row by row (${r.counts.join(', ')} rows)`);
  return r;
}

/** The source's triggers as MariaDB describes them (what must come back unchanged). */
async function sourceTriggers(source: MariaDbServer, db: string): Promise<{ name: string }[]> {
  return source.query<{ name: string }[]>(`SELECT TRIGGER_NAME AS name, ACTION_ORDER, DEFINER, SQL_MODE, ACTION_STATEMENT FROM information_schema.TRIGGERS
    WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`, [db]);
}

async function withSession<T>(open: () => Promise<SqlSession>, use: (s: SqlSession) => Promise<T>): Promise<T> {
  const s = await open();
  try {
    return await use(s);
  } finally {
    await s.end();
  }
}

const compare = (onSource: () => Promise<SqlSession>, onTarget: () => Promise<SqlSession>) =>
  withSession(onSource, (m) => withSession(onTarget, (t) => compareMariaDbWithPostgres(m, t)));

runDemo({ SOURCE_DB_PASSWORD: MYSQL_MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD }, main);
