/**
 * Failpoints for crash tests: YB_VOYAGER_FAILPOINTS="name[,name…]" makes the process kill -9 itself the
 * first time it reaches a named point. "name@N" fires on the Nth hit. Never set in production.
 */
const spec = parseSpec(process.env.YB_VOYAGER_FAILPOINTS ?? '');
const hits = new Map<string, number>();

function parseSpec(raw: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, n] = part.split('@');
    m.set(name, n ? Number(n) : 1);
  }
  return m;
}

export function failpoint(name: string): void {
  const target = spec.get(name);
  if (target === undefined) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (n === target) {
    process.stderr.write(`failpoint ${name} hit: killing process ${process.pid}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
