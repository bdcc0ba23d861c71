import type { ExportDir } from '../export-dir/layout.js';
import type { StateStore } from '../export-dir/state-store.js';
import type { Logger } from '../infra/logger.js';
import type { CommandSpec } from './command-table.js';
import type { Output } from './render/output.js';
import type { ResolvedOptions } from './resolve.js';

/** What every command receives. Commands are thin: they read options, call a workflow, render the result. */
export interface CommandContext {
  readonly spec: CommandSpec;
  readonly options: ResolvedOptions;
  readonly exportDir: ExportDir;
  readonly state: StateStore;
  readonly log: Logger;
  readonly out: Output;
  readonly signal: AbortSignal;
}
