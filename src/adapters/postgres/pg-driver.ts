/**
 * node-postgres, loaded without its Cloudflare Workers probe. Where Node has no global `navigator` (Node 20),
 * pg tells a Worker apart by constructing a fetch `Response`, which loads Node's fetch implementation: ~40 ms
 * of every process's start-up, for nothing. Where `navigator` exists (Node 21 on) pg reads its userAgent
 * instead; so while pg loads, and only then, a `navigator` saying Node.js stands in.
 *
 * Every module that needs pg's values (Client, types, DatabaseError) takes them from here; types still come
 * from `import type pg from 'pg'`.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';

function load(): typeof pg {
  const require = createRequire(import.meta.url);
  if ('navigator' in globalThis) return require('pg') as typeof pg;
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node}` }, configurable: true });
  try {
    return require('pg') as typeof pg;
  } finally {
    delete (globalThis as { navigator?: unknown }).navigator;
  }
}

export const pgDriver = load();
