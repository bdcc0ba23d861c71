import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { QueueEvent, Row } from '../../src/core/change-event.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { QueueWriter } from '../../src/export-dir/queue.js';
import { QueueLineParser } from '../../src/export-dir/queue-line-parser.js';
import { StateStore } from '../../src/export-dir/state-store.js';

type NewEvent = Parameters<QueueWriter['append']>[0];

/** What the parser returns for `text`, or the error it throws. */
function parsed(text: string, afterVsn = 0, parser = new QueueLineParser()): QueueEvent[] | Error {
  const out: QueueEvent[] = [];
  try {
    parser.parse(text, afterVsn, out);
  } catch (e) {
    return e as Error;
  }
  return out;
}

/** JSON.parse's answer for the same text. */
function reference(text: string, afterVsn = 0): QueueEvent[] | Error {
  try {
    return text
      .split('\n')
      .map((l) => JSON.parse(l) as QueueEvent)
      .filter((e) => e.vsn > afterVsn);
  } catch (e) {
    return e as Error;
  }
}

/** Same events, same own keys in the same order (JSON.stringify shows the order), same prototypes. */
function assertSameAsJson(text: string, afterVsn = 0, parser?: QueueLineParser): void {
  const got = parsed(text, afterVsn, parser);
  const want = reference(text, afterVsn);
  if (want instanceof Error) {
    assert.ok(got instanceof SyntaxError, `${JSON.stringify(text)}: JSON.parse throws, the parser returned ${JSON.stringify(got)}`);
    return;
  }
  assert.ok(!(got instanceof Error), `${JSON.stringify(text)}: ${String(got)}`);
  assert.deepStrictEqual(got, want, text);
  assert.equal(JSON.stringify(got), JSON.stringify(want), text);
}

function wide(n: number, prefix = 'c'): Row {
  const r: Row = {};
  for (let i = 0; i < n; i++) r[`${prefix}${i}`] = i % 5 === 0 ? null : `v${i}`;
  return r;
}

/** Every kind of event and value the writer meets, including those whose lines need escapes. */
function writerEvents(): NewEvent[] {
  const ev: NewEvent[] = [];
  const data = (op: 'c' | 'u' | 'd', table: string, key: Row, after?: Row, before?: Row): NewEvent => ({
    op, schema: 'public', table, key, ...(after ? { after } : {}), ...(before ? { before } : {}),
  });
  ev.push(data('c', 't', { id: '1' }, { id: '1', v: 'plain', n: null, e: '' }));
  ev.push(data('u', 't', { id: '1' }, { v: 'only the changed column' }));
  ev.push(data('d', 't', { id: '1' }));
  ev.push({ op: 'commit', pos: '0/16B3748', ts: '2024-05-01T10:00:00.123Z' });
  ev.push({ op: 'commit', pos: '0/16B3750' });
  ev.push(data('c', 't', { id: '2' }, { id: '2', v: 'é😀ü€ non-ASCII', w: '漢字' }));
  ev.push(data('c', 't', { id: '3' }, { id: '3', v: 'a "quoted" \\ back\\slash', w: 'new\nline\ttab\u0001ctl' }));
  ev.push(data('c', 't', { id: '4' }, { id: '4', v: 'lone \ud800 surrogate' }));
  ev.push(data('u', 't', { id: '4' }, { id: '4', v: 'x' }, { id: '4', v: 'lone \ud800 surrogate' }));
  ev.push(data('d', 't', { id: '4' }, undefined, { id: '4', v: 'x' }));
  // Names that are special to objects or to the parser.
  ev.push(data('c', 'odd', { id: '5' }, { id: '5', __proto__: 'p', constructor: 'c', toString: 's', '10': 'ten', '2': 'two', 'we}ird,na:me': 'w', '': 'empty name' } as Row));
  ev.push(data('c', 'odd', { 'k"q': '1' }, { 'k"q': '1' }));
  ev.push(data('c', 'odd', { id: '6' }, {}));
  ev.push(data('c', 'wide', { c0: '0' }, wide(40)));
  ev.push(data('u', 'wide', { c0: '0' }, wide(200, 'x')));
  ev.push(data('c', 'two', { a: '1', b: '2' }, { a: '1', b: '2', v: null }));
  // More schemas and tables than the parser keeps at hand, interleaved.
  for (let i = 0; i < 40; i++) ev.push({ op: 'c', schema: `s${i % 3}`, table: `tab${i % 23}`, key: { id: String(i) }, after: { id: String(i), [`col${i % 19}`]: 'v' } });
  ev.push({ op: 'c', schema: 'схема', table: 'テーブル', key: { id: '7' }, after: { id: '7' } });
  ev.push({ op: 'cutover.target', sequences: [{ schema: 'public', name: 'seq', value: '42' }] } as unknown as NewEvent);
  ev.push({ op: 'commit', pos: '0/1' });
  return ev;
}

test('line parser: every line the writer writes parses exactly as JSON.parse parses it', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-lines-'));
  const dir = ExportDir.open(root);
  const state = StateStore.open(dir.stateDb);
  try {
    const w = QueueWriter.open(dir, state, 'source_db_exporter');
    for (const e of writerEvents()) w.append(e);
    w.commit();
    w.close();
    const text = fs.readFileSync(dir.segmentFile(0), 'utf8').replace(/\n$/, '');
    const lines = text.split('\n');
    assert.equal(lines.length, writerEvents().length);
    // Line by line with one parser (its caches warm), and the whole text at once.
    const parser = new QueueLineParser();
    for (const line of lines) assertSameAsJson(line, 0, parser);
    assertSameAsJson(text);
    // Lines at or below the consumer's watermark are left out.
    for (const afterVsn of [1, 5, lines.length - 1, lines.length]) assertSameAsJson(text, afterVsn);
    assert.deepEqual(parsed(text, lines.length), []);
  } finally {
    state.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('line parser: lines in another spelling are still read as JSON.parse reads them, bad ones still fail', () => {
  const lines = [
    '{"vsn":5, "op":"commit","pos":"0/1"}',
    '{"op":"commit","vsn":5,"pos":"0/1"}',
    '{"vsn":5,"op":"commit","pos":"0/1","ts":"t","extra":1}',
    '{"vsn":5,"op":"commit","ts":"t","pos":"0/1"}',
    '{"vsn":5,"op":"c","schema":"s","table":"t","key":{"id":1},"after":{"id":"1"}}',
    '{"vsn":5,"op":"c","schema":"s","table":"t","key":{"id":"1"},"after":{"id":true}}',
    '{"vsn":5,"op":"c","schema":"s","table":"t","key":{"id":"1"},"after":{"id":"1","x":{"n":"1"}}}',
    '{"vsn":5,"op":"c","schema":"s","table":"t","key":{"id":"1"},"after":{"id":"1"},"extra":true}',
    '{"vsn":5,"op":"c","schema":"s","table":"t","key":{"id":"1"},"before":{"id":"1"},"after":{"id":"2"}}',
    '{"vsn":5,"op":"c","schema":"s","table":"t","key":{"id":"1"},"after":{"a":"1","a":"2"}}',
    '{"vsn":5,"op":"c","schema":"s","table":"t","key":{"id":"1"},"after":{"a":nul}}',
    '{"vsn":5,"op":"c","schema":"s","table":"t","key":{"id":"1"},"after":{"a":"1",}}',
    '{"vsn":5,"op":"c","schema":"s","table":"t","key":{"id":"1"},"after":{"a":"1"}',
    '{"vsn":5,"op":"c","schema":"s","table":"t","key":{"id":"1"},"after":{"a":"1}}',
    '{"vsn":5,"op":"c","schema":"s","table":"t"}',
    '{"vsn":5,"op":"x","schema":"s","table":"t","key":{}}',
    '{"vsn":5,"op":"cc","schema":"s","table":"t","key":{}}',
    '{"vsn":5,"op":"commit","pos":"0/1"',
    '{"vsn":5,"op":"commit","pos":"0/1"}x',
    '{"vsn":5,"op":"commit","pos":"0/1}',
    '{"vsn":007,"op":"commit","pos":"0/1"}',
    '{"vsn":0,"op":"commit","pos":"0/1"}',
    '{"vsn":-5,"op":"commit","pos":"0/1"}',
    '{"vsn":1e3,"op":"commit","pos":"0/1"}',
    '{"vsn":12345678901234567,"op":"commit","pos":"0/1"}',
    '{"vsn":"5","op":"commit","pos":"0/1"}',
    '{"vsn":5}',
    '',
  ];
  for (const line of lines) assertSameAsJson(line);
  // An empty line between good ones fails the whole text, as it always did.
  assert.ok(parsed('{"vsn":1,"op":"commit","pos":"0/1"}\n\n{"vsn":2,"op":"commit","pos":"0/2"}') instanceof SyntaxError);
});

test('line parser: rows of more column sets than it compiles are still parsed', () => {
  const lines: string[] = [];
  for (let i = 1; i <= 4500; i++) lines.push(JSON.stringify({ vsn: i, op: 'c', schema: 's', table: 't', key: { id: String(i) }, after: { id: String(i), [`c${i}`]: 'v' } }));
  assertSameAsJson(lines.join('\n'));
});
