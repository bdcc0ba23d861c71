import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../infra/errors.js';
import { archiveChanges, type ArchivePolicy } from '../../workflows/archive-changes.js';
import type { CommandContext } from '../context.js';
import { DEFAULTS } from '../../infra/defaults.js';

/**
 * Both doc versions: `--move-to DIR` (archive) / `--delete` (older), and `--policy delete|archive
 * --archive-dir DIR --fs-utilization-threshold N` (newer).
 */
export function archivePolicy(o: CommandContext['options']): ArchivePolicy {
  const moveTo = o.str('move-to');
  const archiveDir = o.str('archive-dir');
  const policy = o.str('policy') ?? (moveTo ? 'archive' : o.bool('delete') ? 'delete' : undefined);
  if (!policy) {
    throw new UserError('archive changes needs to know what to do with applied segments', 'add --policy delete, or --policy archive --archive-dir <DIR> (older spelling: --delete, or --move-to <DIR>)');
  }
  if (moveTo && archiveDir && path.resolve(moveTo) !== path.resolve(archiveDir)) {
    throw new UserError('--move-to and --archive-dir name different directories', 'give only one of them');
  }
  if (policy === 'delete') {
    if (moveTo || archiveDir) throw new UserError('--policy delete does not take an archive directory', 'drop --archive-dir/--move-to, or use --policy archive');
    const threshold = o.int('fs-utilization-threshold') ?? 70;
    if (!(threshold >= 0 && threshold <= 100)) throw new UserError(`--fs-utilization-threshold ${threshold} is not a percentage`, 'give a number from 0 to 100');
    return { policy: 'delete', fsUtilizationThreshold: threshold };
  }
  const dir = moveTo ?? archiveDir;
  if (!dir) throw new UserError('--policy archive needs --archive-dir <DIR>', 'add --archive-dir with an existing directory');
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new UserError(`archive directory ${abs} does not exist`, `create it first: mkdir -p ${abs}`);
  return { policy: 'archive', archiveDir: abs };
}

export async function run(ctx: CommandContext): Promise<void> {
  const policy = archivePolicy(ctx.options);
  if (policy.policy === 'archive' && path.resolve(policy.archiveDir).startsWith(ctx.exportDir.root + path.sep)) {
    throw new UserError('the archive directory is inside the export dir, which would not free any space', 'choose a directory outside the export dir');
  }
  const pollMs = DEFAULTS.archivePollMs;
  await archiveChanges({ exportDir: ctx.exportDir, state: ctx.state, log: ctx.log, say: (l) => ctx.out.line(l) }, policy, ctx.signal, pollMs);
}
