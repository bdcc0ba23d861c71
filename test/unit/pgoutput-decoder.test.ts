import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePgOutput } from '../../src/adapters/postgres/pgoutput-decoder.js';
import { PgOutputTranslator } from '../../src/adapters/postgres/pgoutput-events.js';
import { formatLsn, parseLsn, pgTimestampToIso } from '../../src/adapters/postgres/lsn.js';
import { UserError } from '../../src/infra/errors.js';
import { B, relation } from '../helpers/pgoutput-builder.js';


test('LSN text and timestamps', () => {
  assert.equal(parseLsn('16/B374D848'), (0x16n << 32n) | 0xb374d848n);
  assert.equal(formatLsn(parseLsn('16/B374D848')), '16/B374D848');
  assert.equal(formatLsn(0n), '0/0');
  assert.throws(() => parseLsn('nope'));
  // 2000-01-01 + 1.000123 s
  assert.equal(pgTimestampToIso(1_000_123n), '2000-01-01T00:00:01.000123Z');
  assert.equal(pgTimestampToIso(1_999_999n), '2000-01-01T00:00:01.999999Z');
  assert.equal(pgTimestampToIso(848_793_600_000_000n - 1n), '2026-11-23T23:59:59.999999Z');
  assert.equal(pgTimestampToIso(0n), '2000-01-01T00:00:00.000000Z');
});

test('decodes Begin, Commit, Origin, Type, Message and Truncate', () => {
  assert.deepEqual(decodePgOutput(new B().ch('B').u64(0x1234n).u64(5_000_000n).i32(777).buf), { tag: 'begin', finalLsn: 0x1234n, commitTime: 5_000_000n, xid: 777 });
  assert.deepEqual(decodePgOutput(new B().ch('C').u8(0).u64(0x10n).u64(0x20n).u64(9n).buf), { tag: 'commit', flags: 0, commitLsn: 0x10n, endLsn: 0x20n, commitTime: 9n });
  assert.deepEqual(decodePgOutput(new B().ch('O').u64(0x99n).str('node1').buf), { tag: 'origin', originLsn: 0x99n, name: 'node1' });
  assert.deepEqual(decodePgOutput(new B().ch('Y').i32(16400).str('').str('mood').buf), { tag: 'type', typeOid: 16400, schema: 'pg_catalog', name: 'mood' });
  const m = decodePgOutput(new B().ch('M').u8(1).u64(0x42n).str('app').i32(3).ch('abc').buf);
  assert.deepEqual(m, { tag: 'message', transactional: true, lsn: 0x42n, prefix: 'app', content: Buffer.from('abc') });
  assert.deepEqual(decodePgOutput(new B().ch('T').i32(2).u8(3).i32(10).i32(11).buf), { tag: 'truncate', relationIds: [10, 11], cascade: true, restartIdentity: true });
});

test('decodes Relation (key flags, identity) and Insert/Update/Delete tuples with n, u and t values', () => {
  const r = decodePgOutput(relation(16385, 'public', 'Ünïcode "t"', 'f', [['id', true], ['body', false]]));
  assert.deepEqual(r, {
    tag: 'relation', relationId: 16385, schema: 'public', name: 'Ünïcode "t"', replicaIdentity: 'f',
    columns: [{ name: 'id', typeOid: 23, typeMod: -1, isKey: true }, { name: 'body', typeOid: 23, typeMod: -1, isKey: false }],
  });
  assert.deepEqual(decodePgOutput(new B().ch('I').i32(16385).ch('N').tuple(['1', null, 'tab\there\nline €']).buf), { tag: 'insert', relationId: 16385, newTuple: ['1', null, 'tab\there\nline €'] });
  const plain = decodePgOutput(new B().ch('U').i32(7).ch('N').tuple(['1', undefined, '']).buf);
  assert.deepEqual(plain, { tag: 'update', relationId: 7, keyTuple: undefined, oldTuple: undefined, newTuple: ['1', undefined, ''] });
  const keyed = decodePgOutput(new B().ch('U').i32(7).ch('K').tuple(['1', null]).ch('N').tuple(['2', 'x']).buf);
  assert.deepEqual(keyed, { tag: 'update', relationId: 7, keyTuple: ['1', null], oldTuple: undefined, newTuple: ['2', 'x'] });
  const full = decodePgOutput(new B().ch('U').i32(7).ch('O').tuple(['1', 'old']).ch('N').tuple(['1', 'new']).buf);
  assert.deepEqual(full, { tag: 'update', relationId: 7, keyTuple: undefined, oldTuple: ['1', 'old'], newTuple: ['1', 'new'] });
  assert.deepEqual(decodePgOutput(new B().ch('D').i32(7).ch('K').tuple(['1', null]).buf), { tag: 'delete', relationId: 7, keyTuple: ['1', null] });
  assert.deepEqual(decodePgOutput(new B().ch('D').i32(7).ch('O').tuple(['1', 'x']).buf), { tag: 'delete', relationId: 7, oldTuple: ['1', 'x'] });
});

test('rejects truncated and unknown messages instead of guessing', () => {
  assert.throws(() => decodePgOutput(new B().ch('B').u64(1n).buf), /truncated/);
  assert.throws(() => decodePgOutput(new B().ch('Z').buf), /unknown pgoutput message type 'Z'/);
  assert.throws(() => decodePgOutput(new B().ch('I').i32(1).ch('N').i16(1).ch('b').i32(1).u8(0).buf), /kind 'b'/);
  assert.throws(() => decodePgOutput(new B().ch('I').i32(1).ch('N').i16(1).ch('t').i32(10).ch('abc').buf), /truncated/);
});

test('translator: keys from the primary key, unchanged TOAST absent, old key on key change, FULL identity before image', () => {
  const t = new PgOutputTranslator([{ schema: 'public', table: 'a', pk: ['id'] }, { schema: 'public', table: 'f', pk: ['id'] }]);
  assert.deepEqual(t.translate(decodePgOutput(relation(1, 'public', 'a', 'd', [['id', true], ['v', false], ['big', false]]))), { kind: 'none', note: undefined });
  const ins = t.translate(decodePgOutput(new B().ch('I').i32(1).ch('N').tuple(['1', null, 'x']).buf));
  assert.deepEqual(ins, { kind: 'change', event: { op: 'c', schema: 'public', table: 'a', key: { id: '1' }, after: { id: '1', v: null, big: 'x' } } });
  const upd = t.translate(decodePgOutput(new B().ch('U').i32(1).ch('N').tuple(['1', '5', undefined]).buf));
  assert.deepEqual(upd, { kind: 'change', event: { op: 'u', schema: 'public', table: 'a', key: { id: '1' }, after: { id: '1', v: '5' } } });
  const rekey = t.translate(decodePgOutput(new B().ch('U').i32(1).ch('K').tuple(['1', null, null]).ch('N').tuple(['2', '5', undefined]).buf));
  assert.deepEqual(rekey, { kind: 'change', event: { op: 'u', schema: 'public', table: 'a', key: { id: '1' }, after: { id: '2', v: '5' } } });
  const del = t.translate(decodePgOutput(new B().ch('D').i32(1).ch('K').tuple(['2', null, null]).buf));
  assert.deepEqual(del, { kind: 'change', event: { op: 'd', schema: 'public', table: 'a', key: { id: '2' } } });

  // REPLICA IDENTITY FULL flags every column; the key is still the primary key.
  t.translate(decodePgOutput(relation(2, 'public', 'f', 'f', [['id', true], ['v', true]])));
  const fu = t.translate(decodePgOutput(new B().ch('U').i32(2).ch('O').tuple(['1', 'a']).ch('N').tuple(['1', 'b']).buf));
  assert.deepEqual(fu, { kind: 'change', event: { op: 'u', schema: 'public', table: 'f', key: { id: '1' }, after: { id: '1', v: 'b' }, before: { id: '1', v: 'a' } } });
  const fd = t.translate(decodePgOutput(new B().ch('D').i32(2).ch('O').tuple(['1', 'b']).buf));
  assert.deepEqual(fd, { kind: 'change', event: { op: 'd', schema: 'public', table: 'f', key: { id: '1' }, before: { id: '1', v: 'b' } } });
});

test('translator: identity index other than the key, unlisted and unknown relations, unsendable keys', () => {
  const t = new PgOutputTranslator([{ schema: 's', table: 'u', pk: ['id'] }]);
  // REPLICA IDENTITY USING INDEX on (code): old-key tuples carry only code, so code identifies the row.
  t.translate(decodePgOutput(relation(3, 's', 'u', 'i', [['id', false], ['code', true]])));
  const d = t.translate(decodePgOutput(new B().ch('D').i32(3).ch('K').tuple([null, 'c1']).buf));
  assert.deepEqual(d, { kind: 'change', event: { op: 'd', schema: 's', table: 'u', key: { code: 'c1' } } });

  const note = t.translate(decodePgOutput(relation(4, 's', 'other', 'd', [['id', true]])));
  assert.equal(note.kind, 'none');
  assert.match((note as { note: string }).note, /not exported/);
  assert.equal(t.translate(decodePgOutput(new B().ch('I').i32(4).ch('N').tuple(['1']).buf)).kind, 'none');
  const unknown = t.translate(decodePgOutput(new B().ch('I').i32(99).ch('N').tuple(['1']).buf));
  assert.deepEqual(unknown, { kind: 'none', note: 'change of unknown relation oid 99 ignored' });
  assert.deepEqual(t.translate(decodePgOutput(new B().ch('T').i32(2).u8(0).i32(3).i32(4).buf)), { kind: 'truncate', tables: [{ schema: 's', table: 'u' }] });

  const all = new PgOutputTranslator();
  all.translate(decodePgOutput(relation(5, 'public', 'k', 'd', [['id', true], ['v', false]])));
  assert.throws(() => all.translate(decodePgOutput(new B().ch('U').i32(5).ch('N').tuple([undefined, '1']).buf)), (e) => e instanceof UserError && /REPLICA IDENTITY FULL/.test(e.oneLine()));
});
