/**
 * Dependency order that is otherwise stable: every item comes after the items it depends on, and items
 * without a dependency between them keep their input order. Dependencies outside the set are ignored;
 * a cycle is broken where it is found (the caller's retry of failed statements copes with the rest).
 */
export function topoSort<T>(items: readonly T[], key: (item: T) => string, deps: (item: T) => Iterable<string>): T[] {
  const byKey = new Map(items.map((i) => [key(i), i] as const));
  const state = new Map<string, 'visiting' | 'done'>();
  const out: T[] = [];
  const visit = (item: T) => {
    const k = key(item);
    if (state.get(k)) return;
    state.set(k, 'visiting');
    for (const d of deps(item)) {
      const dep = byKey.get(d);
      if (dep !== undefined && d !== k && state.get(d) === undefined) visit(dep);
    }
    state.set(k, 'done');
    out.push(item);
  };
  for (const item of items) visit(item);
  return out;
}
