/**
 * Notes export schema leaves in the schema files for what it could not convert (or converted with a caveat)
 * from a non-PostgreSQL source. They are comment lines, so import schema ignores them, and analyze-schema
 * reports each as an issue until the user fixes the statement and deletes the note (the spec's edit-and-
 * rerun loop: the files are the truth):
 *
 *     -- yb-voyager needs manual work on PROCEDURE hr.add_job: PL/SQL kept verbatim, commented out; rewrite it in PL/pgSQL
 *     -- yb-voyager review COLUMN hr.orders.created: TIMESTAMP(9) keeps 9 fractional digits; PostgreSQL keeps 6
 *
 * Pure.
 */

export type SourceNoteLevel = 'manual' | 'review';

export interface SourceNote {
  readonly level: SourceNoteLevel;
  /** Upper-case object type: TABLE, COLUMN, PROCEDURE, PACKAGE BODY… */
  readonly objectType: string;
  /** Qualified name as written in the schema files. */
  readonly name: string;
  readonly reason: string;
}

const PREFIX: Record<SourceNoteLevel, string> = { manual: 'needs manual work on', review: 'review' };
const NOTE = /^-- yb-voyager (needs manual work on|review) ([A-Z][A-Z ]*?) (\S+): (.+?)\s*$/;

export function renderSourceNote(n: SourceNote): string {
  return `-- yb-voyager ${PREFIX[n.level]} ${n.objectType} ${n.name}: ${n.reason.replace(/\s*\n\s*/g, ' ')}`;
}

/** Every note in a file's text, with its 1-based line. */
export function readSourceNotes(text: string): (SourceNote & { line: number })[] {
  const out: (SourceNote & { line: number })[] = [];
  text.split('\n').forEach((l, i) => {
    const m = NOTE.exec(l);
    if (m) out.push({ level: m[1] === 'review' ? 'review' : 'manual', objectType: m[2], name: m[3], reason: m[4], line: i + 1 });
  });
  return out;
}

/** Source text kept for a person to convert: every line commented out, so no tool applies it. */
export function commentedOut(text: string): string {
  const lines = text.replace(/\s+$/, '').split('\n').map((l) => `-- ${l}`.trimEnd());
  return `${lines.join('\n')}\n-- (kept as a comment: import schema does not apply it)`;
}
