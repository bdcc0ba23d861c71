/**
 * The names of a snapshot's chunk files in data/ (how a table is cut into chunks is the source engine's).
 * Pure: no I/O.
 */
import { createHash } from 'node:crypto';

/** File-system-safe, readable rendering of a name; the hash in dataFileName keeps distinct names distinct. */
function safe(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40);
  return s || '_';
}

/**
 * Name of one chunk file in data/: `<schema>.<table>[.<leaf>]-<hash>.<chunk>.g<generation>.copy`.
 * The generation changes each time the snapshot restarts, so a file of an abandoned snapshot is never taken
 * for a file of the current one (an importer may still hold the old one open).
 */
export function dataFileName(
  generation: number,
  table: { schema: string; table: string },
  leaf: { schema: string; table: string } | undefined,
  chunkNo: number,
): string {
  const h = createHash('sha1');
  h.update(`${table.schema}\u0000${table.table}\u0000${leaf?.schema ?? ''}\u0000${leaf?.table ?? ''}`);
  const hash = h.digest('hex').slice(0, 8);
  const leafPart = leaf && (leaf.schema !== table.schema || leaf.table !== table.table) ? `.${safe(leaf.table)}` : '';
  return `${safe(table.schema)}.${safe(table.table)}${leafPart}-${hash}.${String(chunkNo).padStart(4, '0')}.g${generation}.copy`;
}

/** Snapshot files in data/ (done or temporary), with the generation they belong to. */
export function parseDataFileName(name: string): { generation: number; temporary: boolean } | undefined {
  const m = /\.g(\d+)\.copy(\.tmp)?$/.exec(name);
  return m ? { generation: Number(m[1]), temporary: Boolean(m[2]) } : undefined;
}
