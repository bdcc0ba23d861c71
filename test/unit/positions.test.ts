import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLsn, parseLsn } from '../../src/adapters/postgres/lsn.js';
import { lsnPositions } from '../../src/adapters/postgres/positions.js';

test('PostgreSQL positions compare as 64-bit LSNs, not as text', () => {
  const { compare } = lsnPositions;
  assert.equal(compare('0/16B3748', '0/16B3748'), 0);
  assert.ok(compare('0/16B3747', '0/16B3748') < 0);
  assert.ok(compare('0/FFFFFFFF', '1/0') < 0, 'the high half wins');
  assert.ok(compare('0/9', '0/10') < 0, 'hex digits, not string order');
  assert.ok(compare('A/0', '9/FFFFFFFF') > 0);
  assert.ok(compare('0/a0', '0/9F') > 0, 'either case');
  assert.equal(compare(lsnPositions.origin, '0/1') < 0, true, 'the origin is before every position');
  assert.throws(() => compare('x', '0/1'), /not a PostgreSQL LSN/);
});

test('the codec agrees with bigint order on random LSNs', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < 2000; i++) {
    const a = (BigInt(rnd() % 4) << 32n) | BigInt(rnd());
    const b = i % 5 === 0 ? a : (BigInt(rnd() % 4) << 32n) | BigInt(rnd());
    assert.equal(Math.sign(lsnPositions.compare(formatLsn(a), formatLsn(b))), a < b ? -1 : a > b ? 1 : 0);
    assert.equal(parseLsn(formatLsn(a)), a);
  }
});
