import type { PlatformDb } from '../db/platform-database.js';

/** Records that `claimedBy` runs this tick of the task; false when another process already does. */
export async function claimTick(
  db: PlatformDb,
  task: string,
  tick: Date,
  claimedBy: string,
): Promise<boolean> {
  const row = await db
    .insertInto('cron_ticks')
    .values({ task, tick, claimed_by: claimedBy })
    .onConflict((conflict) => conflict.columns(['task', 'tick']).doNothing())
    .returning('task')
    .executeTakeFirst();
  return row !== undefined;
}

/** Forgets ticks older than `before` (they only guard against a second run of the same tick). */
export async function pruneTicks(db: PlatformDb, before: Date): Promise<number> {
  const result = await db.deleteFrom('cron_ticks').where('claimed_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
