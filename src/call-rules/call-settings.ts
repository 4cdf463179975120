import { z } from 'zod';
import { durationMsOf } from '../calendars/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { forgetTenantValue } from '../tenancy/tenant-memo.js';

/** The memo key of the calling settings. */
const settingsKey = 'call-settings';

/** `HH:MM` on a 24-hour clock; `24:00` is allowed as an end (midnight at the end of the day). */
const clockTime = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a time of day HH:MM (00:00–23:59, or 24:00 as an end)');

/** Minutes since midnight of an `HH:MM` time. */
export const minutesOfClock = (time: string): number => {
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
};

export const callingHoursSchema = z
  .object({
    start: clockTime.meta({ example: '09:00' }),
    end: clockTime.meta({ example: '20:00' }),
  })
  .refine((hours) => minutesOfClock(hours.start) < minutesOfClock(hours.end), {
    message: 'start must be before end (calling hours do not span midnight)',
    path: ['end'],
  })
  .meta({ description: "Calling hours in the lead's local time: [start, end)" });
export type CallingHours = z.infer<typeof callingHoursSchema>;

const retryDuration = z
  .string()
  .max(40)
  .refine(
    (value) => (durationMsOf(value) ?? 0) >= 60_000,
    'an ISO 8601 duration of weeks, days, hours, minutes, seconds (e.g. PT15M, PT4H), at least PT1M, at most P366D',
  );

const tenths = (value: number) => Math.abs(Math.round(value * 10) - value * 10) < 1e-9;

/** The tenant's calling rules (one `call_settings` row, jsonb), every field with its default. */
export const callSettingsSchema = z.object({
  callingHours: callingHoursSchema,
  /** Seconds a call to a lead rings before it counts as no answer. */
  timeoutSeconds: z.number().int().min(10).max(120),
  /** Calls placed per available salesperson (1: progressive dialing). */
  dialRatio: z.number().min(1).max(3).refine(tenths, 'a multiple of 0.1'),
  /** Highest abandonment rate (% of answered calls, rolling 30 days, per campaign) the dialer allows. */
  maxAbandonPercent: z.number().min(0).max(3),
  /** Attempts per queue entry before it leaves the queue as `not_connected`. */
  maxAttempts: z.number().int().min(1).max(10),
  /** Wait before attempt n+1 after a no-answer / busy / failure (the last one repeats). */
  retryBackoff: z.array(retryDuration).min(1).max(10),
  /** Calls placed to a lead per lead-local day, at most. */
  dailyAttemptCap: z.number().int().min(1).max(20),
  /** No call to a lead (or its number) within this many hours of an abandoned call to it. */
  abandonCooldownHours: z.number().int().min(72).max(720),
  recording: z.boolean(),
  machineDetection: z.boolean(),
  /** Seconds a salesperson wraps up after a call before the next one. */
  wrapUpSeconds: z.number().int().min(0).max(600),
  /** Said to a lead who answers when no salesperson is free (the call then counts as abandoned). */
  abandonMessage: z.string().trim().min(1).max(300),
});
export type CallSettings = z.infer<typeof callSettingsSchema>;

/** Partial update: the fields given replace the stored ones; unknown fields are refused. */
export const callSettingsInput = callSettingsSchema
  .partial()
  .refine((input) => Object.keys(input).length > 0, 'Nothing to update');
export type CallSettingsInput = z.infer<typeof callSettingsInput>;

export const defaultCallSettings: CallSettings = {
  callingHours: { start: '09:00', end: '20:00' },
  timeoutSeconds: 30,
  dialRatio: 1,
  maxAbandonPercent: 3,
  maxAttempts: 3,
  retryBackoff: ['PT15M', 'PT1H', 'PT4H'],
  dailyAttemptCap: 3,
  abandonCooldownHours: 72,
  recording: false,
  machineDetection: false,
  wrapUpSeconds: 60,
  abandonMessage:
    'Sorry, all our representatives are busy right now. We will call you back shortly. Thank you.',
};

/**
 * The stored settings over the defaults, field by field: a stored field that no longer passes its
 * rule (a rule tightened since) falls back to its default rather than failing every call.
 */
function settingsOf(stored: Record<string, unknown>): CallSettings {
  const settings: Record<string, unknown> = { ...defaultCallSettings };
  const shape = callSettingsSchema.shape as Record<string, z.ZodType>;
  for (const [field, value] of Object.entries(stored)) {
    const rule = shape[field];
    if (!rule) continue;
    const parsed = rule.safeParse(value);
    if (parsed.success) settings[field] = parsed.data;
  }
  return settings as CallSettings;
}

/**
 * The tenant's calling settings (defaults for whatever was never set), memoised per process like
 * the signal SLAs: every provider callback, placed call and dialer tick reads them, often twice
 * in one unit. `db`: where they are read when not memoised (a caller inside a transaction passes
 * it: PGlite has one connection).
 */
export function loadCallSettings(handle: TenantHandle, db: TenantDb = handle.db): Promise<CallSettings> {
  return handle.memo.get(settingsKey, async () => {
    const row = await db.selectFrom('call_settings').select('settings').executeTakeFirst();
    return settingsOf(row?.settings ?? {});
  });
}

/** Changes the fields of `input` (the others stay) and answers the whole settings. */
export async function saveCallSettings(
  handle: TenantHandle,
  input: CallSettingsInput,
): Promise<CallSettings> {
  return handle.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('call_settings').select('settings').forUpdate().executeTakeFirst();
    const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    const settings = settingsOf({ ...(row?.settings ?? {}), ...given });
    const value = JSON.stringify(settings);
    await trx
      .insertInto('call_settings')
      .values({ id: true, settings: value })
      .onConflict((oc) => oc.column('id').doUpdateSet({ settings: value, updated_at: new Date() }))
      .execute();
    await forgetTenantValue(trx, handle, settingsKey);
    return settings;
  });
}

/** Milliseconds to wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed to connect. */
export function retryDelayMs(settings: CallSettings, attempt: number): number {
  const steps = settings.retryBackoff;
  const step = steps[Math.min(Math.max(attempt, 1), steps.length) - 1]!;
  return durationMsOf(step) ?? 15 * 60_000;
}
