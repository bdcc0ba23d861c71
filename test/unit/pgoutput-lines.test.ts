/**
 * The change export's fast path (row changes written to the queue straight from the replication frame) must
 * write exactly the bytes of the general path (decode → translate → QueueWriter.append). Both run on the
 * same messages into two real queues; the segment files are compared byte for byte.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { decodePgOutput } from '../../src/adapters/postgres/pgoutput-decoder.js';
import { PgOutputTranslator } from '../../src/adapters/postgres/pgoutput-events.js';
import { PgOutputLineEncoder } from '../../src/adapters/postgres/pgoutput-lines.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { QueueWriter } from '../../src/export-dir/queue.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { mulberry32 } from '../helpers/change-model.js';
import { B, relation } from '../helpers/pgoutput-builder.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function queue() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-lines-'));
  const dir = ExportDir.open(root);
  const state = StateStore.open(dir.stateDb);
  const writer = QueueWriter.open(dir, state, 'source_db_exporter');
  cleanups.push(() => {
    writer.close();
    state.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const bytes = () => {
    writer.commit();
    return fs.readFileSync(dir.segmentFile(0));
  };
  const counts = () => state.db.prepare('SELECT schema_name, table_name, inserts, updates, deletes FROM exported_event_counts ORDER BY 1, 2').all();
  return { writer, bytes, counts };
}

const TABLES = [
  { schema: 'public', table: 't', pk: ['id'] },
  // Names that need JSON escaping, and columns named like array indexes (JavaScript lists those first).
  { schema: 'Sch "q"', table: 'tab\\le', pk: ['k2', '10'] },
  { schema: 'public', table: 'nokey' },
];

const RELATIONS = [
  relation(1, 'public', 't', 'd', [['id', true], ['v', false], ['doc', false]]),
  relation(2, 'Sch "q"', 'tab\\le', 'd', [['10', true], ['x\ny', false], ['k2', true], ['2', false], ['é', false]]),
  relation(3, 'public', 'nokey', 'd', [['a', false], ['b', false]]),
  relation(4, 'public', 'not_exported', 'd', [['id', true]]),
];

/** Values with every kind of byte JSON cares about. */
function value(rnd: () => number): string | null {
  const r = rnd();
  if (r < 0.1) return null;
  if (r < 0.2) return '';
  const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\t', '\r', '\b', '\f', '\u0001', '\u001f', '\u007f', 'é', '€', '😀', '\u2028', '/', '{', ','];
  let s = '';
  const n = Math.floor(rnd() * 12);
  for (let i = 0; i < n; i++) s += r < 0.6 ? 'abc123'[Math.floor(rnd() * 6)] : alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
}

function randomMessage(rnd: () => number): Buffer {
  const rel = 1 + Math.floor(rnd() * 4);
  const width = rel === 2 ? 5 : rel === 4 ? 1 : rel === 1 ? 3 : 2;
  const row = () => Array.from({ length: width }, () => value(rnd));
  const keyRow = (r: (string | null | undefined)[]) => (rel === 2 ? r.map((v, i) => (i === 0 || i === 2 ? v : null)) : r.map((v, i) => (i === 0 ? v : null)));
  // An unchanged TOASTed value: never in a key, sometimes (wrongly, to test the general path) in a key.
  const withToast = (r: (string | null | undefined)[]) => r.map((v, i) => (i > 0 && rnd() < 0.2 ? undefined : v));
  const kind = rnd();
  if (kind < 0.3) return new B().ch('I').i32(rel).ch('N').tuple(row()).buf;
  if (kind < 0.5) return new B().ch('U').i32(rel).ch('N').tuple(withToast(row())).buf;
  if (kind < 0.6) return new B().ch('U').i32(rel).ch('K').tuple(keyRow(row())).ch('N').tuple(withToast(row())).buf;
  if (kind < 0.65) return new B().ch('U').i32(rel).ch('O').tuple(row()).ch('N').tuple(row()).buf;
  if (kind < 0.85) return new B().ch('D').i32(rel).ch('K').tuple(keyRow(row())).buf;
  if (kind < 0.9) return new B().ch('D').i32(rel).ch('O').tuple(row()).buf;
  // The key column itself not sent: the general path's error.
  if (kind < 0.93) return new B().ch('U').i32(1).ch('N').tuple([undefined, 'v', 'd']).buf;
  // A tuple with fewer columns than the relation.
  return new B().ch('I').i32(rel).ch('N').tuple(row().slice(1)).buf;
}

/** What the exporter does with a message on the general path; errors are recorded, not thrown. */
function general(t: PgOutputTranslator, w: QueueWriter, frame: Buffer): string | undefined {
  try {
    const r = t.translate(decodePgOutput(frame));
    if (r.kind === 'change') w.append(r.event);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

test('fast-path lines are byte for byte the general path lines, for 5000 random messages', () => {
  const fast = queue();
  const slow = queue();
  const tFast = new PgOutputTranslator(TABLES);
  const tSlow = new PgOutputTranslator(TABLES);
  const encoder = new PgOutputLineEncoder(tFast);
  for (const r of RELATIONS) {
    general(tFast, fast.writer, r);
    general(tSlow, slow.writer, r);
  }
  const rnd = mulberry32(42);
  let direct = 0;
  let errors = 0;
  for (let i = 0; i < 5000; i++) {
    const m = randomMessage(rnd);
    const slowError = general(tSlow, slow.writer, m);
    if (encoder.append(m, 0, fast.writer)) {
      direct++;
      assert.equal(slowError, undefined, 'the fast path wrote a line the general path refuses');
    } else {
      assert.equal(general(tFast, fast.writer, m), slowError);
    }
    if (slowError) errors++;
  }
  const a = fast.bytes();
  const b = slow.bytes();
  assert.ok(direct > 2500, `the fast path took only ${direct} of 5000 messages`);
  assert.ok(errors > 50, 'the general path errors were exercised');
  assert.ok(b.length > 100_000);
  assert.equal(a.toString('utf8'), b.toString('utf8'));
  assert.ok(a.equals(b));
  assert.deepEqual(fast.counts(), slow.counts());
  // And every line is JSON whose values are exactly the ones sent.
  for (const line of a.toString('utf8').trimEnd().split('\n')) JSON.parse(line);
});

test('a line longer than the write buffer is written whole', () => {
  const q = queue();
  const t = new PgOutputTranslator(TABLES);
  general(t, q.writer, RELATIONS[0]);
  const big = 'x"\\'.repeat(1_000_000);
  assert.ok(new PgOutputLineEncoder(t).append(new B().ch('I').i32(1).ch('N').tuple(['1', big, null]).buf, 0, q.writer));
  const line = JSON.parse(q.bytes().toString('utf8'));
  assert.equal(line.after.v, big);
  assert.equal(line.after.doc, null);
});

test('a truncated message is left to the general path', () => {
  const q = queue();
  const t = new PgOutputTranslator(TABLES);
  general(t, q.writer, RELATIONS[0]);
  const whole = new B().ch('I').i32(1).ch('N').tuple(['1', 'value', 'doc']).buf;
  const encoder = new PgOutputLineEncoder(t);
  for (let cut = 1; cut < whole.length; cut++) assert.equal(encoder.append(whole.subarray(0, cut), 0, q.writer), false, `cut at ${cut}`);
  assert.equal(q.writer.pendingEvents, 0);
});
