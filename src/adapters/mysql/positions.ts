/**
 * Binlog positions as opaque strings `<file>:<offset>` (e.g. `mariadb-bin.000042:1234`), ordered by the file's
 * numeric suffix then the offset: file names of one server differ only in that suffix.
 */
import type { PositionCodec } from '../engine.js';

export const BINLOG_ORIGIN = 'origin:0';

export interface BinlogPosition {
  file: string;
  pos: number;
}

export function formatBinlogPosition(p: BinlogPosition): string {
  return `${p.file}:${p.pos}`;
}

export function parseBinlogPosition(s: string): BinlogPosition {
  const i = s.lastIndexOf(':');
  const pos = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isSafeInteger(pos)) throw new Error(`not a binlog position: ${s}`);
  return { file: s.slice(0, i), pos };
}

function fileNumber(file: string): number {
  if (file === 'origin') return -1;
  const m = /\.(\d+)$/.exec(file);
  if (!m) throw new Error(`binlog file name without a numeric suffix: ${file}`);
  return Number(m[1]);
}

export const binlogPositions: PositionCodec = {
  origin: BINLOG_ORIGIN,
  compare(a, b) {
    const x = parseBinlogPosition(a);
    const y = parseBinlogPosition(b);
    return fileNumber(x.file) - fileNumber(y.file) || x.pos - y.pos;
  },
};
