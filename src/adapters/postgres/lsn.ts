/**
 * PostgreSQL WAL positions (LSNs): 'X/Y' text as the server prints them, 64-bit unsigned integers on the
 * wire. Kept as bigint so comparisons are exact.
 */
import { InternalError } from '../../infra/errors.js';

export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!m) throw new InternalError(`not a PostgreSQL LSN: '${text}'`);
  return (BigInt('0x' + m[1]) << 32n) | BigInt('0x' + m[2]);
}

export function formatLsn(lsn: bigint): string {
  // Number formatting is much cheaper than bigint's (one call per source transaction); both halves fit in 32 bits.
  return Number(lsn >> 32n).toString(16).toUpperCase() + '/' + Number(lsn & 0xffffffffn).toString(16).toUpperCase();
}

/** PostgreSQL timestamps on the replication protocol: microseconds since 2000-01-01 00:00:00 UTC. */
const PG_EPOCH_MS = 946_684_800_000;

let cachedSecond = NaN;
let cachedPrefix = '';

export function pgTimestampToIso(micros: bigint): string {
  // Number is exact here: 2^53 µs is 285 years. Commits come thousands per second: format each second once.
  const us = Number(micros);
  const sec = Math.floor(us / 1_000_000);
  if (sec !== cachedSecond) {
    cachedSecond = sec;
    cachedPrefix = new Date(sec * 1000 + PG_EPOCH_MS).toISOString().slice(0, 19); // 2026-01-01T00:00:00
  }
  return `${cachedPrefix}.${String(us - sec * 1_000_000).padStart(6, '0')}Z`;
}

export function nowAsPgTimestamp(): bigint {
  return BigInt(Date.now() - PG_EPOCH_MS) * 1000n;
}
