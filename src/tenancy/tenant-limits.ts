import { z } from 'zod';
import type { Config } from '../config/config.js';

/**
 * Per-tenant overrides of process-wide limits, set by the platform operator only (platform API,
 * `pnpm tenant`), never by the tenant. Stored in `platform.tenants.limits` (jsonb), carried on
 * every `Tenant`. A limit the tenant has no override for is the process-wide one (`limitFor`).
 *
 * To add a limit: one entry here (its schema), one in `defaults` below (where its process-wide
 * value comes from), then read it with `limitFor(tenant, '<name>', config)` where it is enforced.
 */
const limitShapes = {
  importMaxBytes: z
    .number()
    .int()
    .positive()
    .describe('Largest CSV import upload, in bytes (413 while streaming); default IMPORT_MAX_BYTES'),
};

export type LimitName = keyof typeof limitShapes;
export const limitNames = Object.keys(limitShapes) as LimitName[];

/** Where each limit's process-wide value comes from. */
const defaults: { [K in LimitName]: (config: Config) => number } = {
  importMaxBytes: (config) => config.imports.maxBytes,
};

type Shape<S> = { [K in LimitName]: S };
const mapShapes = <S extends z.ZodType>(wrap: (schema: (typeof limitShapes)[LimitName]) => S): Shape<S> =>
  Object.fromEntries(limitNames.map((name) => [name, wrap(limitShapes[name])])) as Shape<S>;

/** A tenant's overrides as created and stored: each optional, unknown keys refused. */
export const tenantLimitsSchema = z
  .strictObject(mapShapes((schema) => schema.optional()))
  .describe("Per-tenant overrides of process-wide limits; an absent key means the process's value");
export type TenantLimits = { [K in LimitName]?: number };

/** A change of overrides: a value sets one, `null` removes it (back to the process's value), absent keeps it. */
export const tenantLimitsPatchSchema = z
  .strictObject(mapShapes((schema) => schema.nullable().optional()))
  .describe('Overrides to change: a value sets one, null removes it, an absent key keeps it');
export type TenantLimitsPatch = { [K in LimitName]?: number | null };

/** The limit that applies to the tenant: its override, else the process-wide value. */
export function limitFor(tenant: { limits: TenantLimits }, name: LimitName, config: Config): number {
  return tenant.limits[name] ?? defaults[name](config);
}

/** Every limit that applies to the tenant, overrides resolved (what the tenant may be shown). */
export function effectiveLimits(tenant: { limits: TenantLimits }, config: Config): Record<LimitName, number> {
  return Object.fromEntries(limitNames.map((name) => [name, limitFor(tenant, name, config)])) as Record<
    LimitName,
    number
  >;
}

/**
 * The overrides of a stored row. Lenient: a key this version does not know, or a value it would
 * refuse (a row written by another version), is left out rather than failing every request.
 */
export function readTenantLimits(stored: unknown): TenantLimits {
  const value: unknown = typeof stored === 'string' ? JSON.parse(stored) : stored;
  const limits: TenantLimits = {};
  if (!value || typeof value !== 'object') return limits;
  for (const name of limitNames) {
    const parsed = limitShapes[name].safeParse((value as Record<string, unknown>)[name]);
    if (parsed.success) limits[name] = parsed.data;
  }
  return limits;
}

/** The overrides after a patch (set values, drop nulls, keep the rest). */
export function patchTenantLimits(current: TenantLimits, patch: TenantLimitsPatch): TenantLimits {
  const next: TenantLimits = { ...current };
  for (const name of limitNames) {
    const change = patch[name];
    if (change === null) delete next[name];
    else if (change !== undefined) next[name] = change;
  }
  return next;
}
