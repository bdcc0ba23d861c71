/**
 * The exporter's and importer's cutover steps against real PostgreSQL, in both directions, including the
 * states a kill -9 leaves between steps (marker in the queue but not recorded, slot already gone).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { connect } from '../../src/adapters/postgres/connection.js';
import type { QueueEvent } from '../../src/core/change-event.js';
import { requestCutoverToSource, requestCutoverToTarget, statusOf } from '../../src/core/cutover.js';
import { publicationName, slotName } from '../../src/adapters/postgres/capture-names.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { modifyCutover, readCutover } from '../../src/export-dir/migration-state.js';
import { QueueWriter } from '../../src/export-dir/queue.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { nullLogger } from '../../src/infra/logger.js';
import { cutoverStopPosition, exporterMarkerWritten, finishExporterCutover } from '../../src/workflows/cutover-export.js';
import { postgresEngine } from '../../src/adapters/postgres/engine.js';
import { finishImporterCutover, importerCutoverDone } from '../../src/workflows/cutover-import.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

let cluster: PgCluster;
let srcDb: string;
let dstDb: string;
let src: pg.Client;
let dst: pg.Client;
let dir: ExportDir;
let state: StateStore;
const said: string[] = [];
const secret = { password: MIGRATION_PASSWORD };

const SCHEMA = `CREATE TABLE public.t (id serial PRIMARY KEY, v text); CREATE SEQUENCE public.free_seq;`;

before(async () => {
  cluster = await PgCluster.start();
  srcDb = await cluster.createDatabase('cosrc');
  dstDb = await cluster.createDatabase('codst');
  src = await connect(cluster.settings(srcDb), secret);
  dst = await connect(cluster.settings(dstDb, 'target'), secret);
  await src.query(SCHEMA);
  await dst.query(SCHEMA);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-cutover-'));
  dir = ExportDir.open(root);
  state = StateStore.open(dir.stateDb);
  const uuid = state.migration().uuid;
  // What export data from source leaves behind: its publication and slot on the source.
  await src.query(`CREATE PUBLICATION ${publicationName(uuid, 'source')} FOR TABLE public.t WITH (publish_via_partition_root = true)`);
  await src.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slotName(uuid, 'source')]);
});
after(async () => {
  await src?.end().catch(() => undefined);
  await dst?.end().catch(() => undefined);
  state?.close();
  if (dir) fs.rmSync(dir.root, { recursive: true, force: true });
  await cluster?.stop();
});

const exporterDeps = (side: 'source' | 'target') => ({
  exportDir: dir, state, log: nullLogger, say: (l: string) => said.push(l), side,
  db: { engine: postgresEngine, conn: { settings: cluster.settings(side === 'source' ? srcDb : dstDb, side), secret } }, schemas: ['public'],
});
const importerDeps = (side: 'source' | 'target') => ({
  state, log: nullLogger, say: (l: string) => said.push(l), side,
  db: { engine: postgresEngine, conn: { settings: cluster.settings(side === 'source' ? srcDb : dstDb, side), secret } },
  tables: async () => [{ schema: 'public', table: 't' }],
});

function queueEvents(): QueueEvent[] {
  const out: QueueEvent[] = [];
  for (const f of fs.readdirSync(dir.queueDir).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))) {
    for (const l of fs.readFileSync(path.join(dir.queueDir, f), 'utf8').split('\n')) if (l) out.push(JSON.parse(l));
  }
  return out;
}
const slotExists = async (c: pg.Client, name: string) => (await c.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [name])).rows.length === 1;
const pubExists = async (c: pg.Client, name: string) => (await c.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name])).rows.length === 1;

test('cutover to target: stop position persisted once; marker written once even after a crash; slot dropped', async () => {
  const deps = exporterDeps('source');
  assert.equal(await cutoverStopPosition(deps), undefined, 'nothing requested yet');
  modifyCutover(state, (c) => requestCutoverToTarget(c, true, new Date().toISOString()).state);
  const stop = await cutoverStopPosition(deps);
  assert.match(stop!, /^[0-9A-F]+\/[0-9A-F]+$/);
  await src.query(`INSERT INTO public.t (v) SELECT 'x' FROM generate_series(1, 10)`); // WAL moves on
  assert.equal(await cutoverStopPosition(deps), stop, 'a rerun stops at the same position');

  // Changes streamed before the marker, then the marker written by a run that died right after commit.
  const w = QueueWriter.open(dir, state, 'source_db_exporter');
  w.append({ op: 'c', schema: 'public', table: 't', key: { id: '1' }, after: { id: '1', v: 'x' } });
  w.append({ op: 'commit', pos: stop! });
  w.commit(stop);
  w.append({ op: 'cutover.target', sequences: [{ schema: 'public', name: 't_id_seq', lastValue: '10' }] });
  w.commit();
  w.close(); // kill -9 here: segment not closed, nothing recorded
  assert.equal(exporterMarkerWritten(deps), true);

  await finishExporterCutover(deps);
  const markers = queueEvents().filter((e) => e.op === 'cutover.target');
  assert.equal(markers.length, 1, 'no second marker');
  const c = readCutover(state);
  assert.equal(c.toTarget.markerVsn, markers[0].vsn);
  assert.deepEqual(c.toTarget.sequences, [{ schema: 'public', name: 't_id_seq', lastValue: '10' }]);
  assert.equal(c.toTarget.exporterDone, true);
  const uuid = state.migration().uuid;
  assert.equal(await slotExists(src, slotName(uuid, 'source')), false);
  assert.equal(await pubExists(src, publicationName(uuid, 'source')), false);
  const seg = state.db.prepare('SELECT closed FROM queue_segments WHERE segment_no = 0').get() as { closed: number };
  assert.equal(seg.closed, 1, 'the marker segment is closed');
  await finishExporterCutover(deps); // a rerun after exporterDone is a no-op
  assert.equal(queueEvents().filter((e) => e.op === 'cutover.target').length, 1);
});

test('importer: sequences restored beyond the data, fall-back publication and slot created, COMPLETED', async () => {
  await dst.query(`INSERT INTO public.t (id, v) SELECT g, 'x' FROM generate_series(1, 12) g`);
  assert.equal(statusOf(readCutover(state), 'toTarget'), 'INITIATED');
  const marker = { op: 'cutover.target' as const, sequences: readCutover(state).toTarget.sequences };
  const r = await finishImporterCutover(importerDeps('target'), marker);
  assert.equal(r.carryOnAsFallBackExporter, true);
  assert.equal(statusOf(readCutover(state), 'toTarget'), 'COMPLETED');
  assert.equal(importerCutoverDone(state, 'target'), true);
  const uuid = state.migration().uuid;
  assert.equal(await slotExists(dst, slotName(uuid, 'target')), true);
  assert.equal(await pubExists(dst, publicationName(uuid, 'target')), true);
  const pubTables = await dst.query(`SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1`, [publicationName(uuid, 'target')]);
  assert.deepEqual(pubTables.rows, [{ schemaname: 'public', tablename: 't' }]);
  assert.equal((await dst.query(`INSERT INTO public.t (v) VALUES ('app') RETURNING id`)).rows[0].id, '13', 'the application inserts with default ids');
  // Rerun (a crash after the last step): nothing changes, nothing fails.
  await finishImporterCutover(importerDeps('target'), marker);
  assert.equal(statusOf(readCutover(state), 'toTarget'), 'COMPLETED');
});

test('cutover to source mirrors it: the target slot and publication go, sequences restored on the source', async () => {
  const deps = exporterDeps('target');
  const res = requestCutoverToSource(readCutover(state), new Date().toISOString());
  assert.ok(!('error' in res));
  modifyCutover(state, () => res.state);
  const stop = await cutoverStopPosition(deps);
  assert.ok(stop);
  // The fall-back stream applied the target's rows to the source (explicit ids, no nextval on the source).
  await src.query(`INSERT INTO public.t (id, v) VALUES (11, 'x'), (12, 'x'), (13, 'app')`);
  const w = QueueWriter.open(dir, state, 'target_db_exporter_fb');
  w.append({ op: 'c', schema: 'public', table: 't', key: { id: '13' }, after: { id: '13', v: 'app' } });
  w.append({ op: 'commit', pos: stop! });
  w.commit(stop);
  await finishExporterCutover(deps, w);
  const c = readCutover(state);
  assert.equal(c.toSource.exporterDone, true);
  const marker = queueEvents().find((e) => e.op === 'cutover.source');
  assert.ok(marker && marker.vsn === c.toSource.markerVsn);
  const uuid = state.migration().uuid;
  assert.equal(await slotExists(dst, slotName(uuid, 'target')), false);
  assert.equal(await pubExists(dst, publicationName(uuid, 'target')), false);

  const r = await finishImporterCutover(importerDeps('source'), marker as { op: 'cutover.source' });
  assert.equal(r.carryOnAsFallBackExporter, false);
  assert.equal(statusOf(readCutover(state), 'toSource'), 'COMPLETED');
  assert.equal((await src.query(`INSERT INTO public.t (v) VALUES ('back') RETURNING id`)).rows[0].id, '14');
});
