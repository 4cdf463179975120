import type { TenantDb } from '../db/tenant-database.js';

export async function recordChannelHealth(
  db: TenantDb,
  channel: string,
  healthy: boolean,
  lastError: string | null = null,
): Promise<void> {
  await db
    .insertInto('channel_health')
    .values({ channel, healthy, last_error: lastError })
    .onConflict((conflict) =>
      conflict.column('channel').doUpdateSet({ healthy, last_error: lastError, updated_at: new Date() }),
    )
    .execute();
}

/** The last observed health of each channel that has been used. */
export function listChannelHealth(db: TenantDb) {
  return db.selectFrom('channel_health').selectAll().execute();
}
