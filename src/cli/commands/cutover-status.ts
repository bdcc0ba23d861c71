import { readCutover } from '../../export-dir/migration-state.js';
import type { CommandContext } from '../context.js';
import { renderCutoverTable } from '../render/cutover-table.js';

export async function run(ctx: CommandContext): Promise<void> {
  ctx.out.line(renderCutoverTable(readCutover(ctx.state)));
}
