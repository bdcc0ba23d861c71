/**
 * `import data to source`: normally the export data from source process carries on as this after cutover
 * to target with fall-back; this command restarts it by hand after it stopped.
 */
import { assertFallBackStarted, importDataToSource } from '../../workflows/fall-back.js';
import type { CommandContext } from '../context.js';
import { persistedConnection, refuseWriteBackToSource } from '../fall-back-connection.js';
import { DEFAULT_MAX_RECONNECT_SECONDS } from '../../workflows/reconnect.js';

export async function run(ctx: CommandContext): Promise<void> {
  await refuseWriteBackToSource(ctx.state, 'import data to source');
  assertFallBackStarted(ctx.state, 'import data to source');
  const source = await persistedConnection(ctx.state, ctx.options, 'source');
  await importDataToSource({ exportDir: ctx.exportDir, state: ctx.state, log: ctx.log, out: ctx.out, signal: ctx.signal, maxReconnectMs: (ctx.options.int('max-reconnect-time') ?? DEFAULT_MAX_RECONNECT_SECONDS) * 1000 }, source);
}
