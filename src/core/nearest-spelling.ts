/**
 * "Did you mean …?": the candidate closest to what was typed, by edit distance where swapping two neighbouring
 * letters counts as one edit (`exprot` → `export`). Only close candidates are offered: a suggestion far from
 * what was typed is noise.
 */

/** Edits (insert, delete, substitute, swap neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** How many edits still count as a typo of a word this long: 1 for short words, up to a third of longer ones. */
export function typoAllowance(length: number): number {
  return Math.max(1, Math.floor(length / 3));
}

/**
 * The candidate nearest to `typed`, or undefined when none is within the typo allowance. Ties go to the
 * earlier candidate, so callers list their preferred spellings first.
 */
export function nearestSpelling(typed: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate);
    if (distance <= typoAllowance(Math.max(typed.length, candidate.length)) && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
