/**
 * How our processes collect garbage; set once at start (V8 reads both flags at each collection).
 *
 * Heap growth: V8's default lets the old generation grow to several times its live size before collecting it:
 * the change importer keeps ~40-50 MB alive (the group being applied, the next one parsed) yet reached 300 MB
 * RSS on a 1 M-row transaction, nearly all of it events already applied. At +50% the same run peaks at
 * ~170-200 MB; the extra full collections cost ~10 ms each (apply-bench: within its run-to-run noise).
 *
 * Young-generation collections on the main thread only: a migration shares its machine's cores with the
 * databases, so a parallel scavenge's helper threads compete with them for a core (the exporter's scavenges at
 * the source's maximum rate took ~9 ms each, up to 23 ms, with little live data). On 2 cores (cdc-bench --shape
 * wide, three interleaved pairs) exporter + importer took 6.6 / 6.6 / 8.2 s of CPU against 8.0 / 7.7 / 8.4 s
 * with parallel scavenges; lag at the source's maximum did not change (one pair).
 */
import v8 from 'node:v8';

/**
 * Node flags V8 reads only at start, so bin/yb-voyager passes them (and the benchmarks and tests, which start
 * dist/src/main.js themselves, pass these). A young generation of 2 × 32 MB instead of 2 × 16 MB: the change
 * importer parses and compacts a group of up to 20 k events (~17 MB of wide rows) before applying it, so with
 * 16 MB nearly all of it survived each scavenge and was copied twice; its garbage collection took 1.0–2.1 s of a
 * wide catch-up. With 32 MB (cdc-bench --shape wide, interleaved pairs): importer CPU 3.2 / 3.5 s against
 * 4.1 / 3.8 s; on a slower machine 5.2 / 4.1 / 4.6 s against 4.6 / 5.1 / 6.3 s, and in three more pairs 1.07
 * against 1.17 × the walsender's CPU (the machine drifted); ~40 MB more RSS (~200 MB at most in these runs).
 * (v8.setFlagsFromString at run time leaves the young generation as it is: measured.)
 */
export const NODE_START_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

const HEAP_GROWING_PERCENT = 50;

/** Call once at start, before the heap has grown. */
export function setGcPolicy(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  v8.setFlagsFromString('--no-parallel-scavenge');
}
