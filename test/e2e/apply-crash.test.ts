/**
 * kill -9 of the change importer at named failpoints (inside a group, after the watermark statement but
 * before COMMIT, after COMMIT but before the queue is acknowledged) and at random moments; each rerun
 * resumes from the watermark. At the end every table equals the source's (the model's) row by row, and
 * the imported counts equal the exported ones: nothing lost, nothing applied twice.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApplyRig } from '../helpers/apply-rig.js';
import { applyEvent, mulberry32, randomWorkload } from '../helpers/change-model.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'apply-driver.js');

let cluster: PgCluster;
before(async () => {
  cluster = await PgCluster.start();
});
after(async () => {
  await cluster?.stop();
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runDriver(rig: ApplyRig, failpoints: string | undefined, killAfterMs?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TARGET_DB_PASSWORD: MIGRATION_PASSWORD,
      YB_VOYAGER_APPLY_GROUP_EVENTS: '40',
      YB_VOYAGER_APPLY_CHUNK_EVENTS: '64',
      YB_VOYAGER_FAILPOINTS: failpoints ?? '',
    };
    const child = spawn(process.execPath, [DRIVER, JSON.stringify({ exportDir: rig.root, settings: rig.settings })], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += String(b)));
    child.stdout.resume();
    const safety = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const killer = killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(safety);
      if (killer) clearTimeout(killer);
      resolve({ code, signal, stderr });
    });
  });
}

test('kill -9 at failpoints and at random moments, rerun: the target is exact and every event counted once', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    for (const t of ['t', 'o']) await rig.sql(`CREATE TABLE ${t} (id int PRIMARY KEY, u int UNIQUE, v text, big text)`);
    const rnd = mulberry32(99);
    const { initial, events, withCommits } = randomWorkload(rnd, 3000, { keySpace: 60 });
    for (const t of ['t', 'o']) {
      for (const r of Object.values(initial[t])) await rig.sql(`INSERT INTO ${t} VALUES ($1, $2, $3, $4)`, [r.id, r.u, r.v, r.big]);
    }
    const model = structuredClone(initial);
    for (const e of events) assert.equal(applyEvent(model, e), undefined);
    rig.push(withCommits.map(({ vsn: _v, ...rest }) => rest as never));
    const markerVsn = rig.push([{ op: 'cutover.target' }]);
    // Past the marker once the watermark is (a run killed between that commit and its exit included): a
    // later run would wait for changes that never come.
    const pastMarker = async () =>
      (await rig.sql('SELECT last_applied_vsn AS v FROM ybvoyager_metadata.ybvoyager_import_data_event_channels_metainfo'))[0]?.v === String(markerVsn);

    const crashes = ['apply.after-chunk@3', 'apply.before-commit@2', 'apply.after-commit@4', 'apply.before-commit@7', 'apply.after-chunk@11', 'apply.after-commit@1'];
    let killed = 0;
    for (const fp of crashes) {
      const r = await runDriver(rig, fp);
      assert.equal(r.signal, 'SIGKILL', `failpoint ${fp} fired (${r.stderr.trim()})`);
      assert.match(r.stderr, new RegExp(`failpoint ${fp.split('@')[0]} hit`));
      killed++;
    }
    // Then at random moments (a run may reach the marker before its kill: that is fine too).
    for (let i = 0; i < 4 && !(await pastMarker()); i++) {
      const r = await runDriver(rig, undefined, 150 + Math.floor(rnd() * 400));
      if (r.signal === 'SIGKILL') killed++;
      else assert.equal(r.code, 0, r.stderr);
    }
    if (!(await pastMarker())) {
      const final = await runDriver(rig, undefined);
      assert.equal(final.code, 0, final.stderr);
    }
    assert.ok(await pastMarker());
    assert.ok(killed >= crashes.length);

    for (const t of ['t', 'o']) {
      const got = await rig.sql<{ id: string; u: string | null; v: string | null; big: string | null }>(`SELECT id, u, v, big FROM ${t} ORDER BY id`);
      const want = Object.values(model[t]).sort((a, b) => Number(a.id) - Number(b.id)).map((r) => ({ id: r.id, u: r.u, v: r.v, big: r.big }));
      assert.deepEqual(got, want, `table ${t}`);
    }
    const counts = { c: 0, u: 0, d: 0 };
    for (const e of events) counts[e.op]++;
    const meta = await rig.sql('SELECT num_inserts AS c, num_updates AS u, num_deletes AS d FROM ybvoyager_metadata.ybvoyager_import_data_event_channels_metainfo');
    assert.deepEqual(meta, [{ c: String(counts.c), u: String(counts.u), d: String(counts.d) }]);
  } finally {
    rig.close();
  }
});
