import type { TenantDb } from '../db/tenant-database.js';
import { sql } from 'kysely';
import { z } from 'zod';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { forgetTenantValue } from '../tenancy/tenant-memo.js';

const points = z.number().int().min(-100).max(100);

export const scoringSettingsSchema = z.object({
  base: z.number().int().min(0).max(100),
  /** Points by lead source (lower-case source name). */
  sources: z.record(z.string(), points),
  companyPresent: points,
  businessEmail: points,
  /** Email domains that do not count as a business domain. */
  freeEmailDomains: z.array(z.string()),
  /** Tags that raise the score; the best matching tag counts once. */
  tags: z.record(z.string(), points),
  /** A lead is hot when its score is above this. */
  hotThreshold: z.number().int().min(0).max(100),
});

export type ScoringSettings = z.infer<typeof scoringSettingsSchema>;

export const defaultScoringSettings: ScoringSettings = {
  base: 50,
  sources: { referral: 20, website: 15, facebook: 10, instagram: 10, whatsapp: 5 },
  companyPresent: 10,
  businessEmail: 10,
  freeEmailDomains: [
    'gmail.com',
    'yahoo.com',
    'hotmail.com',
    'outlook.com',
    'live.com',
    'icloud.com',
    'aol.com',
    'proton.me',
    'protonmail.com',
    'rediffmail.com',
    'ymail.com',
  ],
  tags: { enterprise: 15, hot: 15, urgent: 15 },
  hotThreshold: 70,
};

const settingsKey = 'scoring';

/** The tenant's weights, memoised per process (read by nearly every lead request). */
export function loadScoringSettings(
  handle: TenantHandle,
  db: TenantDb = handle.db,
): Promise<ScoringSettings> {
  return handle.memo.get(settingsKey, () => readScoringSettings(db));
}

async function readScoringSettings(db: TenantDb): Promise<ScoringSettings> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', settingsKey)
    .executeTakeFirst();
  return row
    ? { ...defaultScoringSettings, ...(row.value as Partial<ScoringSettings>) }
    : defaultScoringSettings;
}

export async function saveScoringSettings(
  handle: TenantHandle,
  settings: ScoringSettings,
): Promise<ScoringSettings> {
  const value = JSON.stringify(settings);
  await handle.db
    .insertInto('settings')
    .values({ key: settingsKey, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: sql<Date>`now()` }))
    .execute();
  await forgetTenantValue(handle.db, handle, settingsKey);
  return settings;
}
