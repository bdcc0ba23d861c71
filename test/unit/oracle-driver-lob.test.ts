/**
 * The live runner's LOB wrapper over node-oracledb's own Lob class (a Duplex stream). No Oracle server runs
 * here, so the Lob's network half is replaced by an object answering its read(offset) calls with the strings
 * thin mode would decode; what is tested is the driver's stream and our use of it: a surrogate pair split
 * between two reads comes through intact (setEncoding; without it Node re-encodes each piece to UTF-8 and
 * the pair turns into two U+FFFD), pieceSize is raised to about 1 MiB, and close() closes the locator.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import oracledb from 'oracledb';
import { driverLob, lobPieceSize } from '../../src/adapters/oracle/live-runner.js';
import { LobCopyEncoder } from '../../src/adapters/oracle/value-codec.js';

function fakeLob(type: unknown, pieces: (string | Buffer | Error)[], autoClose = true) {
  const state = { closed: 0, reads: [] as number[], pieceSize: 8132 };
  const impl = {
    _getConnImpl: () => ({ _acquireLock: async () => undefined, _releaseLock: () => undefined }),
    getType: () => type,
    getChunkSize: () => 8132,
    getLength: () => pieces.reduce((n, p) => n + (p instanceof Error ? 0 : p.length), 0),
    getPieceSize: () => state.pieceSize,
    setPieceSize: (v: number) => (state.pieceSize = v),
    read: async (offset: number) => {
      state.reads.push(offset);
      const p = pieces.shift() ?? null;
      if (p instanceof Error) throw p;
      return p;
    },
    close: async () => {
      state.closed++;
    },
  };
  const Lob = (oracledb as unknown as { Lob: new () => oracledb.Lob & { _setup(i: unknown, autoClose: boolean): void } }).Lob;
  const lob = new Lob();
  lob._setup(impl, autoClose); // fetched rows set it up closed automatically at the end
  return { lob, state };
}

test('a CLOB read through the driver Lob keeps a surrogate pair split between pieces, and is closed', async () => {
  const emoji = '\u{1F600}';
  const { lob, state } = fakeLob(oracledb.DB_TYPE_CLOB, ['ab\\' + emoji[0], emoji[1] + '\tz']);
  const l = driverLob(lob, 'test');
  const enc = new LobCopyEncoder('text');
  let out = '';
  for await (const p of l.pieces()) out += enc.piece(p);
  out += enc.end();
  await l.close();
  assert.equal(out, `ab\\\\${emoji}\\tz`);
  assert.equal(state.pieceSize, lobPieceSize(8132));
  assert.deepEqual(state.reads, [1, 5, 8], 'offsets advance in UTF-16 code units');
  assert.equal(state.closed, 1);
});

test('a BLOB comes as bytes; closing a LOB never read closes its locator', async () => {
  const { lob } = fakeLob(oracledb.DB_TYPE_BLOB, [Buffer.from('00ff', 'hex'), Buffer.from('5c', 'hex')]);
  const l = driverLob(lob, 'test');
  const enc = new LobCopyEncoder('binary');
  let out = '';
  for await (const p of l.pieces()) out += enc.piece(p);
  assert.equal(out + enc.end(), '\\\\x00ff5c');
  const unread = fakeLob(oracledb.DB_TYPE_CLOB, ['never']);
  await driverLob(unread.lob, 'test').close();
  assert.equal(unread.state.closed, 1);
  assert.deepEqual(unread.state.reads, []);
});

test('LOB pieces are whole multiples of the chunk size, about 1 MiB', () => {
  assert.equal(lobPieceSize(8132), 8132 * 128);
  assert.equal(lobPieceSize(32768), 1 << 20);
  assert.equal(lobPieceSize(4 << 20), 4 << 20);
  assert.equal(lobPieceSize(undefined), 1 << 20);
});

test('a LOB read error reaches the reader as a one-line error, never as an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    for (const autoClose of [true, false]) {
      const err = Object.assign(new Error('ORA-22922: nonexistent LOB value'), { errorNum: 22922 });
      const { lob } = fakeLob(oracledb.DB_TYPE_CLOB, ['first piece', err], autoClose);
      const l = driverLob(lob, 'reading a LOB of Oracle query test');
      const got: string[] = [];
      await assert.rejects(async () => {
        for await (const p of l.pieces()) got.push(String(p));
      }, (e: Error) => /ORA-22922/.test(e.message) && !e.message.includes('\n'));
      assert.deepEqual(got, ['first piece'], `autoClose ${autoClose}`);
      await l.close();
    }
    // Node reports unhandled rejections once the microtask queue is empty; a macrotask turn is past that point.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
