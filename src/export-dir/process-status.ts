/**
 * What a long-running process is doing right now, for other commands to show (get data-migration-report):
 * kv 'process_status', one entry per command id. Only the unusual state is recorded — reconnecting — and
 * cleared once the process is healthy again; an entry whose pid is gone is stale and not shown.
 */
import { pidAlive } from './lock.js';
import type { StateStore } from './state-store.js';

export interface ProcessStatus {
  pid: number;
  /** e.g. 'reconnecting to the target database' */
  state: string;
  since: string;
  attempt: number;
  lastError: string;
}

const KEY = 'process_status';

export function setProcessStatus(state: StateStore, commandId: string, status: ProcessStatus | undefined): void {
  state.modifyJson<Record<string, ProcessStatus>>(KEY, (cur) => {
    const next = { ...cur };
    if (status) next[commandId] = status;
    else delete next[commandId];
    return next;
  });
}

/** The statuses of processes still alive. */
export function liveProcessStatuses(state: StateStore): (ProcessStatus & { command: string })[] {
  const all = state.getJson<Record<string, ProcessStatus>>(KEY) ?? {};
  return Object.entries(all).filter(([, s]) => pidAlive(s.pid)).map(([command, s]) => ({ command, ...s }));
}
