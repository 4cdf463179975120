import { z } from 'zod';

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL');

/** The kinds of tenant secret and the shape each must have. */
export const secretSchemas = {
  whatsapp: z.object({
    phoneNumberIds: z.array(z.string().regex(/^\d{5,20}$/, 'must be a numeric phone number id')).min(1),
    // Indexed (whatsapp_business_accounts): a key longer than a btree row was a 500 (found by the API fuzz test).
    wabaId: z.string().min(1).max(64),
    accessToken: z.string().min(1),
    appSecret: z.string().min(1).optional(),
    verifyToken: z.string().min(1),
    graphApiVersion: z
      .string()
      .regex(/^v\d+\.\d+$/)
      .default('v23.0'),
  }),
  smtp: z.object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    secure: z.boolean().default(false),
    user: z.string().optional(),
    password: z.string().optional(),
    fromName: z.string().optional(),
    fromAddress: z.email(),
  }),
  google: z.discriminatedUnion('type', [
    z.object({
      type: z.literal('oauth'),
      clientId: z.string().min(1),
      clientSecret: z.string().min(1),
      refreshToken: z.string().min(1),
      calendarId: z.string().min(1).default('primary'),
    }),
    z.object({
      type: z.literal('service_account'),
      clientEmail: z.email(),
      privateKey: z.string().min(1),
      subject: z.email(),
      calendarId: z.string().min(1).default('primary'),
    }),
  ]),
  storage: z.object({
    endpoint: z.url().optional(),
    region: z.string().default('auto'),
    bucket: z.string().min(1),
    accessKeyId: z.string().min(1),
    secretAccessKey: z.string().min(1),
    forcePathStyle: z.boolean().default(false),
  }),
  database: z.object({ url: postgresUrl }),
  twilio: z.object({
    accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio account SID (AC + 32 hex digits)'),
    authToken: z.string().min(1).max(256),
    callerIds: z
      .array(z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number'))
      .min(1)
      .max(50),
    /** Overrides TWILIO_API_URL for this tenant (e.g. a Twilio-compatible provider). */
    apiBaseUrl: z.url().optional(),
  }),
} as const;

export type SecretKind = keyof typeof secretSchemas;
export type SecretValue<K extends SecretKind> = z.infer<(typeof secretSchemas)[K]>;
export const secretKinds = Object.keys(secretSchemas) as SecretKind[];

/** Fields safe to show in full; every other string is masked. */
const publicFields = new Set([
  'phoneNumberIds',
  'wabaId',
  'graphApiVersion',
  'host',
  'port',
  'secure',
  'user',
  'fromName',
  'fromAddress',
  'type',
  'clientId',
  'clientEmail',
  'subject',
  'calendarId',
  'endpoint',
  'region',
  'bucket',
  'forcePathStyle',
  'accountSid',
  'callerIds',
  'apiBaseUrl',
]);

export function maskSecret(value: string): string {
  return value.length > 8 ? `••••${value.slice(-4)}` : '••••';
}

/** The secret as an API may show it: public fields in full, the rest as `••••abcd`. */
export function maskSecretValue(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).map(([field, fieldValue]) => [
      field,
      publicFields.has(field) || typeof fieldValue !== 'string' ? fieldValue : maskSecret(fieldValue),
    ]),
  );
}
