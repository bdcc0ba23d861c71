/**
 * The dependency rules of the source tree (STYLE.md "Layout"), checked on every import of src/, type-only
 * imports included: a new edge that breaks one fails here, naming the file and the import.
 *
 *   cli → workflows → core, adapters/engine.ts, export-dir, infra
 *   adapters/<engine>/ → core, infra, adapters/engine.ts (and its own folder)
 *   core → core only; infra → infra only; export-dir → core, infra
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Tests run from dist/test/unit; the sources are two levels above dist.
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

interface Edge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = path.resolve(path.dirname(file), m[1]).replace(/\.js$/, '.ts');
      out.push({ from: path.relative(SRC, file), to: path.relative(SRC, target) });
    }
  }
  return out;
}

/** The layer of a path under src/: 'workflows', 'adapters/engine.ts', 'adapters/postgres', 'main.ts'… */
function layer(p: string): string {
  const parts = p.split(path.sep);
  if (parts[0] === 'adapters') return parts.length === 2 ? `adapters/${parts[1]}` : `adapters/${parts[1]}/`;
  return parts[0];
}

const isEngineFolder = (l: string) => l.startsWith('adapters/') && l.endsWith('/');

/** Why the edge is not allowed, or undefined. */
export function violation(e: Edge): string | undefined {
  const from = layer(e.from);
  const to = layer(e.to);
  if (from === to) return undefined;
  const allowed: Record<string, (to: string) => boolean> = {
    core: () => false,
    infra: () => false,
    'export-dir': (t) => t === 'core' || t === 'infra',
    'adapters/engine.ts': (t) => t === 'core' || t === 'infra',
    'adapters/registry.ts': (t) => t === 'adapters/engine.ts' || t === 'infra' || isEngineFolder(t),
    workflows: (t) => ['core', 'infra', 'export-dir', 'adapters/engine.ts'].includes(t),
    cli: (t) => t !== 'main.ts' && !isEngineFolder(t),
    'main.ts': () => true,
  };
  const rule = isEngineFolder(from) ? (t: string) => ['core', 'infra', 'adapters/engine.ts'].includes(t) : allowed[from];
  if (!rule) return `${from} is not a known layer (add it to the rules in test/unit/layering.test.ts)`;
  return rule(to) ? undefined : `${from} may not import ${to}`;
}

test('every import of src/ follows the layering rules', () => {
  const all = edges();
  assert.ok(all.length > 300, `found only ${all.length} imports: is SRC (${SRC}) right?`);
  const bad = all.map((e) => ({ e, why: violation(e) })).filter((x) => x.why);
  assert.deepEqual(bad.map((x) => `${x.e.from} → ${x.e.to}: ${x.why}`), []);
});

test('the rules catch the edges they forbid', () => {
  assert.match(violation({ from: 'workflows/x.ts', to: 'adapters/postgres/connection.ts' }) ?? '', /may not import adapters\/postgres\//);
  assert.match(violation({ from: 'workflows/x.ts', to: 'cli/render/output.ts' }) ?? '', /may not import cli/);
  assert.match(violation({ from: 'workflows/x.ts', to: 'adapters/registry.ts' }) ?? '', /may not import/);
  assert.match(violation({ from: 'core/x.ts', to: 'infra/errors.ts' }) ?? '', /may not import infra/);
  assert.match(violation({ from: 'export-dir/x.ts', to: 'adapters/engine.ts' }) ?? '', /may not import/);
  assert.match(violation({ from: 'adapters/postgres/x.ts', to: 'export-dir/queue.ts' }) ?? '', /may not import export-dir/);
  assert.match(violation({ from: 'adapters/postgres/x.ts', to: 'adapters/mysql/y.ts' }) ?? '', /may not import adapters\/mysql\//);
  assert.match(violation({ from: 'cli/x.ts', to: 'adapters/postgres/y.ts' }) ?? '', /may not import/);
  assert.equal(violation({ from: 'workflows/x.ts', to: 'adapters/engine.ts' }), undefined);
  assert.equal(violation({ from: 'cli/x.ts', to: 'adapters/registry.ts' }), undefined);
  assert.equal(violation({ from: 'adapters/postgres/x.ts', to: 'adapters/postgres/y.ts' }), undefined);
});
