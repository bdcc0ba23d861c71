/**
 * `export data from target`: normally the import data to target process carries on as this after cutover
 * to target with fall-back; this command restarts it by hand after it stopped.
 */
import { assertFallBackStarted, exportDataFromTarget } from '../../workflows/fall-back.js';
import type { CommandContext } from '../context.js';
import { persistedConnection } from '../fall-back-connection.js';
import { DEFAULT_MAX_RECONNECT_SECONDS } from '../../workflows/reconnect.js';

export async function run(ctx: CommandContext): Promise<void> {
  assertFallBackStarted(ctx.state, 'export data from target');
  const target = await persistedConnection(ctx.state, ctx.options, 'target');
  await exportDataFromTarget({ exportDir: ctx.exportDir, state: ctx.state, log: ctx.log, out: ctx.out, signal: ctx.signal, maxReconnectMs: (ctx.options.int('max-reconnect-time') ?? DEFAULT_MAX_RECONNECT_SECONDS) * 1000 }, target);
}
