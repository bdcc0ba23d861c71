import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { renderMetricsTable } from '../../src/cli/render/metrics-table.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { QueueWriter } from '../../src/export-dir/queue.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { exportMetricRows } from '../../src/workflows/stream-changes.js';

test('export metrics: totals, this run, rates over 3 and 10 minutes, in the spec\'s table shape', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-metrics-'));
  const dir = ExportDir.open(root);
  const state = StateStore.open(dir.stateDb);
  try {
    // An earlier run exported 400 events 5 minutes ago (inside the 10-minute window, outside the 3-minute one).
    const old = Math.floor(Date.now() / 1000 / 10) * 10 - 300;
    state.db.prepare(`INSERT INTO queue_segments (segment_no, exporter_role, events, committed_bytes, closed) VALUES (0, 'source_db_exporter', 400, 0, 1)`).run();
    state.db.prepare(`INSERT INTO exported_event_buckets (exporter_role, bucket, events) VALUES ('source_db_exporter', ?, 2400)`).run(old);
    const w = QueueWriter.open(dir, state, 'source_db_exporter');
    for (let i = 0; i < 3600; i++) w.append({ op: 'c', schema: 'public', table: 't', key: { id: String(i) }, after: { id: String(i) } });
    w.append({ op: 'commit', pos: '0/1' });
    w.commit('0/1');
    w.close();
    const rows = exportMetricRows(state, 'source_db_exporter', w.runEvents);
    assert.deepEqual(rows, [
      ['Total Exported Events', '4000'],
      ['Total Exported Events (Current Run)', '3600'],
      ['Export Rate(Last 3 min)', '20/sec'], // 3600 / 180 s
      ['Export Rate(Last 10 min)', '10/sec'], // (3600 + 2400) / 600 s
    ]);
    assert.equal(renderMetricsTable(rows, { nameCell: 42 }), [
      '| ---------------------------------------  |  ----------------------------- |',
      '| Metric                                   |                          Value |',
      '| ---------------------------------------  |  ----------------------------- |',
      '| Total Exported Events                    |                           4000 |',
      '| Total Exported Events (Current Run)      |                           3600 |',
      '| Export Rate(Last 3 min)                  |                         20/sec |',
      '| Export Rate(Last 10 min)                 |                         10/sec |',
      '| ---------------------------------------  |  ----------------------------- |',
    ].join('\n'));
  } finally {
    state.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
