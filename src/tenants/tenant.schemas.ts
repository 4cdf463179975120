import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';
import { tenantLimitsPatchSchema, tenantLimitsSchema } from '../tenancy/tenant-limits.js';

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export const clientCodeSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9_]{1,39}$/, 'must be 2-40 characters: a letter, then letters, digits or _');

export const scopesSchema = z
  .array(z.enum(['*', 'crm', 'automations']))
  .min(1)
  .default(['*'])
  .describe('`*` for everything, or the route families the key may use');

export const createTenantSchema = z.object({
  code: clientCodeSchema,
  name: z.string().trim().min(1).max(200),
  timezone: z
    .string()
    .refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Kolkata')
    .default('UTC'),
  defaultCountry: z
    .string()
    .toUpperCase()
    .refine((country) => isSupportedCountry(country), 'must be an ISO 3166 alpha-2 country code')
    .default('US'),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('Place the tenant on a dedicated Postgres server instead of the default one'),
  keyLabel: z.string().trim().min(1).max(100).default('default'),
  limits: tenantLimitsSchema.default({}),
});
export type CreateTenantInput = z.input<typeof createTenantSchema>;

/** What the platform operator may change on a tenant (only the operator: this is no tenant route). */
export const updateTenantSchema = z.strictObject({
  limits: tenantLimitsPatchSchema.optional(),
});
export type UpdateTenantInput = z.input<typeof updateTenantSchema>;

export const createKeySchema = z.object({
  label: z.string().trim().min(1).max(100),
  scopes: scopesSchema,
});
export type CreateKeyInput = z.input<typeof createKeySchema>;

export const tenantSchema = z.object({
  id: z.uuid(),
  clientCode: z.string(),
  name: z.string(),
  status: z.enum(['active', 'suspended']),
  timezone: z.string(),
  defaultCountry: z.string(),
  dataLocation: z.enum(['default', 'dedicated']),
  limits: tenantLimitsSchema,
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const apiKeySummarySchema = z.object({
  id: z.uuid(),
  label: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
  createdAt: z.date(),
  actsAsUserId: z
    .uuid()
    .nullable()
    .describe('The user this key acts as (their role and visibility); null: the key acts as the tenant'),
});

export const updateKeySchema = z.object({
  actsAsUserId: z
    .uuid()
    .nullable()
    .describe(
      'A user of the tenant the key acts as from now on (their permissions, their leads only), or null',
    ),
});
export type UpdateKeyInput = z.input<typeof updateKeySchema>;

export const issuedKeySchema = z.object({
  id: z.uuid(),
  label: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  apiKey: z.string().describe('Shown once; only its hash is stored'),
});

export const secretSummarySchema = z.object({
  kind: z.string(),
  keyId: z.string(),
  value: z.record(z.string(), z.unknown()).describe('Masked: secrets appear as ••••abcd'),
  updatedAt: z.date(),
});

export const tenantDetailsSchema = tenantSchema.extend({
  apiKeys: z.array(apiKeySummarySchema),
  secrets: z.array(secretSummarySchema),
});
