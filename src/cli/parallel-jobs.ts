/**
 * --parallel-jobs of import data when it is not given: 4, or the number of CPUs when the target runs on this
 * machine and has fewer. COPY sessions beyond the cores buy no speed there, and sessions that load one table at
 * once cost the target more CPU per row; on 2 cores, 2 sessions imported the snapshot benchmark's rows with
 * ~15% less target CPU and ~10% less time than 4 (bench/snapshot-import-bench.ts). A target elsewhere keeps 4:
 * PostgreSQL does not say how many cores its machine has.
 */
import os from 'node:os';
import type { ConnSettings } from '../core/connection.js';
import type { ResolvedOptions } from './resolve.js';

const DEFAULT_JOBS = 4;

/** Loopback, a Unix-socket directory, this machine's name or one of its addresses. */
export function onThisMachine(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h.startsWith('127.') || h.startsWith('/') || h === os.hostname().toLowerCase()) return true;
  return Object.values(os.networkInterfaces()).some((addrs) => addrs?.some((a) => a.address.toLowerCase() === h));
}

export function importParallelJobs(options: ResolvedOptions, target: ConnSettings): { jobs: number; why: string } {
  const given = options.int('parallel-jobs');
  if (given !== undefined) return { jobs: given, why: String(options.origin('parallel-jobs')) };
  const cpus = os.availableParallelism();
  if (onThisMachine(target.host) && cpus < DEFAULT_JOBS) return { jobs: cpus, why: `the target runs on this machine, which has ${cpus} CPUs` };
  return { jobs: DEFAULT_JOBS, why: 'default' };
}
