/**
 * Typed access to the records other processes of the same migration read: connection settings (no
 * passwords) and the cutover state machine. Every change is a transactional read-modify-write.
 */
import type { ConnSettings } from '../core/connection.js';
import { EMPTY_CUTOVER, type CutoverState } from '../core/cutover.js';
import type { StateStore } from './state-store.js';

export function saveConnSettings(state: StateStore, settings: ConnSettings): void {
  const { role, host, port, user, database, sslMode, sslRootCert, sslCert, sslKey } = settings;
  state.modifyJson<Record<string, ConnSettings>>('connections', (cur) => ({
    ...cur,
    [role]: { role, host, port, user, database, sslMode, sslRootCert, sslCert, sslKey },
  }));
}

export function loadConnSettings(state: StateStore, role: 'source' | 'target'): ConnSettings | undefined {
  return state.getJson<Record<string, ConnSettings>>('connections')?.[role];
}

export function readCutover(state: StateStore): CutoverState {
  return state.getJson<CutoverState>('cutover') ?? EMPTY_CUTOVER;
}

export function modifyCutover(state: StateStore, fn: (cur: CutoverState) => CutoverState): CutoverState {
  return state.modifyJson<CutoverState>('cutover', (cur) => fn(cur ?? EMPTY_CUTOVER));
}
