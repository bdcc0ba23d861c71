import { requestCutoverToSource } from '../../core/cutover.js';
import { modifyCutover } from '../../export-dir/migration-state.js';
import { UserError } from '../../infra/errors.js';
import type { CommandContext } from '../context.js';

export async function run(ctx: CommandContext): Promise<void> {
  let message = '';
  modifyCutover(ctx.state, (cur) => {
    const r = requestCutoverToSource(cur, new Date().toISOString());
    if ('error' in r) throw new UserError(r.error, r.hint);
    message = r.message;
    return r.state;
  });
  ctx.log.info(message);
  ctx.out.line(message);
}
