/**
 * Sessions that apply changes run with session_replication_role = replica: for those sessions only, user
 * triggers and foreign-key checks (which are triggers too) do not fire, while the application's own
 * sessions keep full enforcement. Setting it needs superuser, or on PostgreSQL 15+
 * `GRANT SET ON PARAMETER session_replication_role TO <user>`.
 */
import type pg from 'pg';
import { mapQueryError } from './errors.js';

export interface ReplicationRoleCapability {
  canDisableTriggers: boolean;
  user: string;
}

/** Try it in a transaction that is rolled back: nothing changes for the session or anybody else. */
export async function checkReplicationRolePrivilege(client: pg.Client): Promise<ReplicationRoleCapability> {
  let user: string;
  try {
    user = (await client.query<{ u: string }>('SELECT current_user AS u')).rows[0].u;
    await client.query('BEGIN');
  } catch (e) {
    throw mapQueryError(e, 'checking session_replication_role');
  }
  try {
    await client.query('SET LOCAL session_replication_role = replica');
    return { canDisableTriggers: true, user };
  } catch (e) {
    if ((e as { code?: string }).code === '42501') return { canDisableTriggers: false, user };
    throw mapQueryError(e, 'checking session_replication_role');
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/** The hint that names the fix, for messages that refuse a fall-back. */
export function grantHint(user: string, side: 'source' | 'target' = 'source'): string {
  return `run on the ${side} as a superuser: GRANT SET ON PARAMETER session_replication_role TO ${user}; (PostgreSQL 15+), or make ${user} a superuser`;
}
