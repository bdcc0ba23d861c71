/**
 * Once a cutover is COMPLETED the application owns the database: the importer of the old direction must have
 * written everything it ever writes there (its watermark past the marker) and closed its session before the
 * state says COMPLETED. A kill -9 right after COMPLETED is written proves it: nothing of the old direction is
 * left to happen. And a kill -9 after the watermark passed the marker but before COMPLETED must still complete
 * on the rerun (the marker is not read again).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requestCutoverToTarget, statusOf } from '../../src/core/cutover.js';
import { modifyCutover, readCutover } from '../../src/export-dir/migration-state.js';
import { ApplyRig, c, commit } from '../helpers/apply-rig.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'cutover-import-driver.js');

let cluster: PgCluster;
before(async () => {
  cluster = await PgCluster.start();
});
after(async () => {
  await cluster?.stop();
});

function runDriver(rig: ApplyRig, failpoints = ''): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_FAILPOINTS: failpoints };
    const child = spawn(process.execPath, [DRIVER, JSON.stringify({ exportDir: rig.root, settings: rig.settings })], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += String(b)));
    child.stdout.resume();
    const safety = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(safety);
      resolve({ code, signal, stderr });
    });
  });
}

/**
 * A target with rows streamed before the marker of a cutover to target (no fall-back). `exporterDone`: the
 * exporter recorded the marker and finished; otherwise it died right after writing the marker.
 */
async function rigAtMarker(exporterDone: boolean): Promise<{ rig: ApplyRig; markerVsn: number }> {
  const rig = await ApplyRig.create(cluster);
  await rig.sql(`CREATE TABLE public.t (id serial PRIMARY KEY, v text)`);
  rig.push([c('t', { id: '1', v: 'a' }), c('t', { id: '2', v: 'b' }), commit(), c('t', { id: '3', v: 'c' }), commit()]);
  const sequences = [{ schema: 'public', name: 't_id_seq', lastValue: '3' }];
  const markerVsn = rig.push([{ op: 'cutover.target', sequences }]);
  modifyCutover(rig.state, (cur) => {
    const requested = requestCutoverToTarget(cur, false, new Date().toISOString()).state;
    return exporterDone ? { ...requested, toTarget: { ...requested.toTarget, exporterDone, markerVsn, sequences } } : requested;
  });
  return { rig, markerVsn };
}

async function watermark(rig: ApplyRig): Promise<number> {
  return Number((await rig.sql<{ w: string }>(`SELECT max(last_applied_vsn)::text AS w FROM ybvoyager_metadata.ybvoyager_import_data_event_channels_metainfo`))[0].w);
}

async function applySessions(rig: ApplyRig): Promise<number> {
  return (await rig.sql(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'yb-voyager apply changes%'`, [rig.db])).length;
}

test('at COMPLETED the old direction has written its last (the watermark past the marker) and closed its session', async () => {
  const { rig, markerVsn } = await rigAtMarker(true);
  try {
    const r = await runDriver(rig, 'cutover.importer.after-completed');
    assert.equal(r.signal, 'SIGKILL', `the importer dies right after COMPLETED is written:\n${r.stderr}`);
    assert.equal(statusOf(readCutover(rig.state), 'toTarget'), 'COMPLETED');
    assert.equal(await watermark(rig), markerVsn, 'the watermark passed the marker before COMPLETED was written');
    assert.equal(await applySessions(rig), 0, 'no apply session is left');
    assert.equal((await rig.sql<{ id: string }>(`INSERT INTO public.t (v) VALUES ('app') RETURNING id::text AS id`))[0].id, '4', 'the application inserts with default ids');
    const rerun = await runDriver(rig);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(await watermark(rig), markerVsn);
  } finally {
    rig.close();
  }
});

test('kill -9 after the watermark passed the marker, before COMPLETED: the rerun completes the cutover', async () => {
  // The exporter died right after writing the marker: the importer records it for its own rerun.
  const { rig, markerVsn } = await rigAtMarker(false);
  try {
    const r = await runDriver(rig, 'cutover.importer.after-passing-marker');
    assert.equal(r.signal, 'SIGKILL', `the importer dies at the failpoint:\n${r.stderr}`);
    assert.equal(readCutover(rig.state).toTarget.importerDone, undefined);
    assert.equal(readCutover(rig.state).toTarget.markerVsn, markerVsn, 'the importer recorded the marker it passed');
    assert.equal(await watermark(rig), markerVsn);
    const rerun = await runDriver(rig);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(readCutover(rig.state).toTarget.importerDone, true);
    assert.equal(statusOf(readCutover(rig.state), 'toTarget'), 'INITIATED', 'the exporter has not finished');
    modifyCutover(rig.state, (cur) => ({ ...cur, toTarget: { ...cur.toTarget, exporterDone: true } }));
    assert.equal(statusOf(readCutover(rig.state), 'toTarget'), 'COMPLETED');
    assert.equal((await rig.sql<{ id: string }>(`INSERT INTO public.t (v) VALUES ('app') RETURNING id::text AS id`))[0].id, '4', 'sequences were restored');
  } finally {
    rig.close();
  }
});
