/**
 * Files that exist whole or not at all: written to `<file>.tmp`, fsynced, renamed to the final name and the
 * directory fsynced. A final name therefore always means a complete file; a crash leaves at most a `.tmp`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { failpoint } from './failpoints.js';

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Write `finalPath` through `write` (called with an append function), then make it durable under its name. */
export async function writeDurableFile(finalPath: string, write: (append: (data: string | Buffer) => Promise<void>) => Promise<void>): Promise<number> {
  const tmp = `${finalPath}.tmp`;
  const fh = await fs.promises.open(tmp, 'w', 0o644);
  let bytes = 0;
  try {
    await write(async (data) => {
      const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      await fh.write(b, 0, b.length, null);
      bytes += b.length;
    });
    await fh.sync();
  } finally {
    await fh.close();
  }
  failpoint('export.chunk_before_rename');
  await fs.promises.rename(tmp, finalPath);
  fsyncDir(path.dirname(finalPath));
  return bytes;
}
