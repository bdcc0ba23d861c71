/** Names of the objects a migration creates in PostgreSQL databases, derived from the migration UUID. */
const compact = (uuid: string) => uuid.replace(/-/g, '');

/** Replication slot on the source (forward stream) or on the target (fall-back stream). */
export function slotName(uuid: string, side: 'source' | 'target'): string {
  return side === 'source' ? `voyager_${compact(uuid)}` : `voyager_fb_${compact(uuid)}`;
}

export function publicationName(uuid: string, side: 'source' | 'target'): string {
  return side === 'source' ? `voyager_pub_${compact(uuid)}` : `voyager_fb_pub_${compact(uuid)}`;
}

/** Schema holding import bookkeeping (batches, applied watermark) in the database being written to. */
export const METADATA_SCHEMA = 'ybvoyager_metadata';
