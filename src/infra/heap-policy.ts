/**
 * How far the JavaScript heap may grow past what survived the last full garbage collection.
 *
 * V8's default lets the old generation grow to several times its live size before collecting it: the
 * change importer keeps ~40-50 MB alive (the group being applied, the next one parsed) yet reached 300 MB
 * RSS on a 1 M-row transaction, nearly all of it events already applied. At +50% the same run peaks at
 * ~170-200 MB; the extra full collections cost ~10 ms each (apply-bench: within its run-to-run noise).
 */
import v8 from 'node:v8';

const HEAP_GROWING_PERCENT = 50;

/** Call once at start, before the heap has grown (V8 reads the flag at each full collection). */
export function limitHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
