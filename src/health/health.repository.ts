import { sql } from 'kysely';
import type { PlatformDb } from '../db/platform-database.js';

/** Resolves when the database answers a statement. */
export async function pingDatabase(db: PlatformDb): Promise<void> {
  await sql`select 1`.execute(db);
}
