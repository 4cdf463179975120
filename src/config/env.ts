import { z } from 'zod';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL');

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** Every environment variable Switchyard reads. `.env.example` documents each one. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  ROLE: z.enum(['all', 'web', 'worker']).default('all'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: postgresUrl.optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  SECRETS_KEY: z.string().optional(),
  SECRETS_KEYS_PREVIOUS: commaList.default([]),
  PLATFORM_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  REALTIME_REDIS_KEY: z.string().min(1).default('socket.io'),
  CORS_ORIGINS: commaList.default(['*']),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 1mb')
    .default('1mb'),
  TRUST_PROXY: booleanFromEnv.default(false),
  HTTP_JSON_MAX_DEPTH: z.coerce.number().int().min(1).max(1000).default(64),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  IMPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(50 * 1024 * 1024),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(1200),
  PREAUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  MAX_CACHED_TENANTS: z.coerce.number().int().min(1).default(500),
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5000),
  AUTH_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  AUTH_SESSION_TTL_DAYS: z.coerce.number().min(0.01).max(365).default(30),
  AUTH_REFRESH_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
  AUTH_COOKIES: booleanFromEnv.default(false),
  AUTH_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  AUTH_LOGIN_ADDRESS_MAX_FAILURES: z.coerce.number().int().min(1).max(100_000).default(50),
  AUTH_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  PLATFORM_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  PLATFORM_SMTP_FROM: z.string().min(3).max(320).optional(),
  IMPORT_BATCH_ROWS: z.coerce.number().int().min(1).max(10_000).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(10),
  JOB_PREFETCH: z.coerce.number().int().min(0).max(10_000).optional(),
  JOB_POLL_MS: z.coerce.number().int().min(10).default(2000),
  JOB_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  JOB_TIMEOUT_MS: z.coerce.number().int().min(10).default(900_000),
  JOB_TENANT_CONCURRENCY: z.coerce.number().int().min(1).optional(),
  JOB_RETENTION_DAYS: z.coerce.number().min(0).default(14),
  PUBLIC_BASE_URL: z.url().optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().min(1).optional(),
  S3_REGION: z.string().min(1).default('auto'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: booleanFromEnv.default(false),
  META_GRAPH_URL: z.url().default('https://graph.facebook.com'),
  META_APP_SECRET: z.string().min(1).optional(),
  TWILIO_API_URL: z.url().default('https://api.twilio.com'),
  META_VERIFY_TOKEN: z.string().min(1).optional(),
  GOOGLE_API_ROOT_URL: z.url().default('https://www.googleapis.com/'),
  GOOGLE_OAUTH_TOKEN_URL: z.url().default('https://oauth2.googleapis.com/token'),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: booleanFromEnv.default(false),
});

export type Env = z.infer<typeof envSchema>;
