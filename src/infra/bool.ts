/** Boolean flag values as the reference tool accepts them: true/false/yes/no/1/0 (any case). */
const TRUE = new Set(['true', 'yes', '1', 't', 'y']);
const FALSE = new Set(['false', 'no', '0', 'f', 'n']);

export function parseBool(raw: string | boolean | number): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  const v = String(raw).trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return undefined;
}
