/**
 * Names and literals in PostgreSQL SQL text: the dialect of the target, of schema files and of reports.
 * The one quoting helper for that sink (engines whose own dialect differs keep theirs in their folder).
 */

/** Quote an identifier the way PostgreSQL needs it (always quoted: mixed case, reserved words, unicode). */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function quoteLiteral(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
