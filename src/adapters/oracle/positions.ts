/** Oracle positions are SCNs: decimal strings, compared as integers. */
import type { PositionCodec } from '../engine.js';

export const scnPositions: PositionCodec = {
  origin: '0',
  compare(a, b) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  },
};
