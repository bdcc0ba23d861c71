/**
 * The last committed event an exporter role wrote, read from the end of its newest segment. Cutover uses
 * it to learn, after a crash, whether its marker is already in the queue (then it must not write another).
 */
import fs from 'node:fs';
import type { ExporterRole, QueueEvent } from '../core/change-event.js';
import { InternalError } from '../infra/errors.js';
import type { ExportDir } from './layout.js';
import type { SegmentRow } from './queue.js';
import type { StateStore } from './state-store.js';

export function lastCommittedEvent(dir: ExportDir, state: StateStore, role: ExporterRole): { event: QueueEvent; segment: SegmentRow } | undefined {
  const seg = state.db
    .prepare('SELECT * FROM queue_segments WHERE exporter_role = ? AND committed_bytes > 0 ORDER BY segment_no DESC LIMIT 1')
    .get(role) as SegmentRow | undefined;
  if (!seg) return undefined;
  const line = lastLine(dir.segmentFile(seg.segment_no), seg.committed_bytes);
  return { event: JSON.parse(line) as QueueEvent, segment: seg };
}

/** The last '\n'-terminated line ending at `end`, reading backwards in chunks (events can be large). */
function lastLine(file: string, end: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let pos = end - 1; // the final '\n'
    const step = 64 * 1024;
    while (pos > 0) {
      const from = Math.max(0, pos - step);
      const buf = Buffer.allocUnsafe(pos - from);
      const n = fs.readSync(fd, buf, 0, buf.length, from);
      if (n !== buf.length) throw new InternalError(`segment file ${file} is shorter than its committed size ${end}`);
      const nl = buf.lastIndexOf(0x0a);
      if (nl >= 0) {
        chunks.unshift(buf.subarray(nl + 1));
        return Buffer.concat(chunks).toString('utf8');
      }
      chunks.unshift(buf);
      pos = from;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
