import { durationMsOf } from '../calendars/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { forgetTenantValue } from '../tenancy/tenant-memo.js';
import type { SignalSettings, SignalSettingsInput } from './signal.schemas.js';
import type { SignalType } from './signals.tables.js';

/** The `settings` row and the memo key of the signal SLAs. */
const settingsKey = 'signals';

export const defaultSignalSettings: SignalSettings = {
  sla: { whatsapp: 'PT1H', call: 'PT1H', email: 'PT4H', system: 'PT4H' },
};

/**
 * The tenant's signal SLAs, memoised per process like the calendars (every inbound message reads
 * them; writes are rare and forget the memo in every process). `db`: where they are read when not
 * memoised (a caller inside a transaction passes it: PGlite has one connection).
 */
export function loadSignalSettings(handle: TenantHandle, db: TenantDb = handle.db): Promise<SignalSettings> {
  return handle.memo.get(settingsKey, async () => {
    const row = await db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', settingsKey)
      .executeTakeFirst();
    const stored = (row?.value ?? {}) as Partial<SignalSettings>;
    return { sla: { ...defaultSignalSettings.sla, ...stored.sla } };
  });
}

/** Seconds of business time a new signal of `type` allows. */
export function slaSecondsOf(settings: SignalSettings, type: SignalType): number {
  const ms = durationMsOf(settings.sla[type]) ?? durationMsOf(defaultSignalSettings.sla[type])!;
  return Math.max(1, Math.round(ms / 1000));
}

/** Changes the SLAs named (the others stay); open signals keep the deadline they were given. */
export async function saveSignalSettings(
  handle: TenantHandle,
  input: SignalSettingsInput,
): Promise<SignalSettings> {
  return handle.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('settings')
      .select('value')
      .where('key', '=', settingsKey)
      .forUpdate()
      .executeTakeFirst();
    const stored = (row?.value ?? {}) as Partial<SignalSettings>;
    const given = Object.fromEntries(Object.entries(input.sla).filter(([, value]) => value !== undefined));
    const settings: SignalSettings = { sla: { ...defaultSignalSettings.sla, ...stored.sla, ...given } };
    const value = JSON.stringify(settings);
    await trx
      .insertInto('settings')
      .values({ key: settingsKey, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: new Date() }))
      .execute();
    await forgetTenantValue(trx, handle, settingsKey);
    return settings;
  });
}
