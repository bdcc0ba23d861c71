/** Binlog events → the sink's transactions: boundaries, positions across a rotate, idle advance, DDL and TRUNCATE. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinlogTranslator, type BinlogEventLike } from '../../src/adapters/mysql/binlog-translator.js';
import type { DataTable } from '../../src/adapters/mysql/table-catalog.js';
import { valueKindOf } from '../../src/adapters/mysql/values.js';
import type { CaptureSink } from '../../src/adapters/engine.js';

const column = (name: string, dataType: string) => ({ name, pgName: name.toLowerCase(), dataType, columnType: dataType, kind: valueKindOf(dataType, dataType), bits: 0, generated: false });
const ITEMS: DataTable = {
  database: 'shop', name: 'Items', schema: 'public', table: 'items', pk: ['Id'], engine: 'InnoDB', estimatedRows: 0, dataBytes: 0, partitioned: false,
  columns: [column('Id', 'int'), column('Price', 'decimal')],
};

function recorder() {
  const calls: string[] = [];
  const sink: CaptureSink = {
    begin: (p) => (calls.push(`begin ${p}`), true),
    change: (e) => void calls.push(`${e.op} ${e.table} ${JSON.stringify(e.key)} ${JSON.stringify(e.after ?? null)}`),
    lines: undefined as never,
    commit: (p) => void calls.push(`commit ${p}`),
    truncate: (t) => void calls.push(`truncate ${t.map((x) => x.table).join(',')}`),
    idle: (p) => void calls.push(`idle ${p}`),
  };
  return { calls, sink };
}

const ev = (name: string, fields: Partial<BinlogEventLike> = {}): BinlogEventLike => ({ getEventName: () => name, nextPosition: 0, ...fields });
const tableMap = { 7: { parentSchema: 'shop', tableName: 'Items' }, 8: { parentSchema: 'other', tableName: 'Items' } };
const rows = (name: string, tableId: number, r: unknown[]) => ev(name, { tableMap, tableId, rows: r });

test('transactions begin where the last one ended and commit at <file>:<end>; other databases are ignored', () => {
  const { calls, sink } = recorder();
  const t = new BinlogTranslator('shop', [ITEMS], { file: 'bin.000001', pos: 400 }, sink);
  t.onEvent(ev('mariadbgtid', { standalone: false }));
  t.onEvent(rows('writerows', 7, [{ Id: 1, Price: '9.50' }]));
  t.onEvent(rows('writerows', 8, [{ Id: 2, Price: '1.00' }]));
  t.onEvent(rows('updaterows', 7, [{ before: { Id: 1, Price: '9.50' }, after: { Id: 3, Price: '9.50' } }]));
  t.onEvent(ev('xid', { nextPosition: 700 }));
  t.onEvent(ev('rotate', { binlogName: 'bin.000002', position: 4 }));
  t.onEvent(ev('query', { query: 'BEGIN', nextPosition: 0 }));
  t.onEvent(rows('deleterows', 7, [{ Id: 3, Price: '9.50' }]));
  t.onEvent(ev('query', { query: 'COMMIT', nextPosition: 300 }));
  t.onEvent(ev('heartbeat', { binlogName: 'bin.000002', nextPosition: 900 }));
  assert.deepEqual(calls, [
    'begin bin.000001:400',
    'c items {"id":"1"} {"id":"1","price":"9.50"}',
    'u items {"id":"1"} {"id":"3","price":"9.50"}',
    'commit bin.000001:700',
    'idle bin.000002:4',
    'begin bin.000002:4',
    'd items {"id":"3"} null',
    'commit bin.000002:300',
    'idle bin.000002:900',
  ]);
  assert.equal(t.position, 'bin.000002:900');
});

test('TRUNCATE is passed on; DDL on a migrated table and a changed row shape stop the stream', () => {
  const { calls, sink } = recorder();
  const t = new BinlogTranslator('shop', [ITEMS], { file: 'bin.000001', pos: 4 }, sink);
  t.onEvent(ev('query', { query: 'TRUNCATE TABLE `Items`', schema: 'shop', nextPosition: 50 }));
  t.onEvent(ev('query', { query: 'ALTER TABLE other_table ADD x int', schema: 'shop', nextPosition: 90 }));
  assert.deepEqual(calls, ['truncate items', 'idle bin.000001:50', 'idle bin.000001:90']);
  assert.throws(() => t.onEvent(ev('query', { query: 'ALTER TABLE Items ADD COLUMN note text', schema: 'shop', nextPosition: 120 })), /schema of shop.Items changed/);
  assert.throws(() => t.onEvent(rows('writerows', 7, [{ Id: 1, Price: '1', Note: 'x' }])), /has column Note, unknown/);
  assert.throws(() => t.onEvent(rows('writerows', 7, [{ Id: 1 }])), /lacks column Price/);
  assert.throws(() => t.onEvent(ev('partialupdaterows')), (e: Error & { hint?: string }) => /cannot be decoded/.test(e.message) && /binlog_row_value_options/.test(e.hint ?? ''));
});
