/**
 * The change stream's positions on PostgreSQL are LSNs in the server's 'X/Y' text form. Compared without
 * bigint: the exporter compares positions once or twice per source transaction.
 */
import type { PositionCodec } from '../engine.js';
import { InternalError } from '../../infra/errors.js';

function halves(lsn: string): [number, number] {
  const slash = lsn.indexOf('/');
  const hi = parseInt(lsn.slice(0, slash), 16);
  const lo = parseInt(lsn.slice(slash + 1), 16);
  if (slash < 1 || Number.isNaN(hi) || Number.isNaN(lo)) throw new InternalError(`not a PostgreSQL LSN: '${lsn}'`);
  return [hi, lo];
}

export const lsnPositions: PositionCodec = {
  origin: '0/0',
  compare(a: string, b: string): number {
    if (a === b) return 0;
    const [ah, al] = halves(a);
    const [bh, bl] = halves(b);
    return ah !== bh ? ah - bh : al - bl;
  },
};
