import { ConfigError } from './config-error.js';
import { envSchema, type Env } from './env.js';
import { loadGeneratedSecrets } from './generated-secrets.js';

export interface S3Config {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

/** The job worker's settings (the worker takes them as they are) and the queue's retention. */
export interface QueueConfig {
  /** Jobs run at once by this worker (WORKER_CONCURRENCY). */
  concurrency: number;
  /**
   * Jobs claimed ahead, waiting for a free slot (JOB_PREFETCH, default `concurrency`): the next
   * claim is on its way while this process runs the previous batch. Their leases are held and
   * renewed like those of running jobs; they are released at shutdown.
   */
  prefetch: number;
  /** Poll period when no NOTIFY arrives (JOB_POLL_MS); expired leases are swept at the same pace. */
  pollMs: number;
  /** Lease of kinds that do not set their own (JOB_LEASE_MS). */
  leaseMs: number;
  /** Timeout of runs whose job and kind set none (JOB_TIMEOUT_MS). */
  timeoutMs: number;
  /** Most running jobs per tenant across workers (JOB_TENANT_CONCURRENCY); null for no cap. */
  tenantConcurrency: number | null;
  retentionDays: number;
}

export interface Config {
  nodeEnv: Env['NODE_ENV'];
  role: Env['ROLE'];
  host: string;
  port: number;
  logLevel: Env['LOG_LEVEL'];
  database: { url?: string; dataDir: string; poolMax: number; connectTimeoutMs: number };
  secrets: { currentKey: Buffer; previousKeys: Buffer[] };
  platformAdminToken: string;
  redisUrl?: string;
  /** The Socket.IO Redis adapter's channel prefix. */
  realtimeRedisKey: string;
  http: {
    corsOrigins: string[];
    bodyLimit: string;
    trustProxy: boolean;
    jsonMaxDepth: number;
    /** Until a request's headers, and its whole body, have arrived (Node's `headersTimeout`, `requestTimeout`). */
    headersTimeoutMs: number;
    requestTimeoutMs: number;
  };
  rateLimit: { windowMs: number; max: number };
  /** CSV import uploads: larger ones are refused with 413 while they stream (IMPORT_MAX_BYTES). */
  imports: { maxBytes: number };
  /** Requests per minute per client address, counted before authentication. */
  preauthRateLimitPerMinute: number;
  tenancy: { maxCachedTenants: number; authCacheTtlMs: number };
  /** Staff logins (issue 17). */
  auth: {
    /** Access tokens' lifetime. */
    accessTokenTtlSeconds: number;
    /** A login's absolute lifetime: refreshing never extends it. */
    sessionTtlMs: number;
    /** A rotated refresh token presented again within this answers the same successor (two tabs). */
    refreshGraceMs: number;
    /** Also set the refresh token as an HttpOnly cookie (browsers). */
    cookies: boolean;
    /**
     * Failed logins before an account (`maxFailures`) or a client address (`addressMaxFailures`)
     * is locked for `lockoutMs`, doubling with each further failure (at most a day).
     */
    login: { maxFailures: number; addressMaxFailures: number; lockoutMs: number };
  };
  /** The platform's own SMTP server, for account emails of tenants without an SMTP channel. */
  platformSmtp?: { url: string; from: string };
  shutdownTimeoutMs: number;
  /** Rows per import transaction (IMPORT_BATCH_ROWS); unset: by database kind (`importLeads`). */
  importBatchRows?: number;
  queue: QueueConfig;
  /** How the outside world reaches this server (links in emails). */
  publicBaseUrl: string;
  /** Platform object storage; absent = local disk under DATA_DIR/media. */
  s3?: S3Config;
  meta: { graphUrl: string; appSecret?: string; verifyToken?: string };
  google: { apiRootUrl: string; oauthTokenUrl: string };
  /** Telephony providers (Twilio's REST API base URL; a tenant's `twilio` secret may override it). */
  telephony: { twilioApiUrl: string };
  /** Automation webhooks (`call_webhook`). */
  webhooks: {
    /** Allow loopback, private, link-local and unique-local targets (off: SSRF guard). */
    allowPrivateNetworks: boolean;
  };
  /** Messages to log once a logger exists (e.g. generated development secrets). */
  warnings: string[];
}

/**
 * Reads and validates the whole environment at once. Throws a ConfigError naming every
 * bad variable. Outside production, a missing SECRETS_KEY or PLATFORM_ADMIN_TOKEN is
 * generated once into DATA_DIR (and reused after), with a warning.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const env = parsed.data;
  const problems: string[] = [];
  const warnings: string[] = [];
  const production = env.NODE_ENV === 'production';
  if (production && !env.SECRETS_KEY) problems.push('SECRETS_KEY: required in production');
  if (production && !env.PLATFORM_ADMIN_TOKEN) problems.push('PLATFORM_ADMIN_TOKEN: required in production');
  if (production && !env.PUBLIC_BASE_URL) {
    problems.push('PUBLIC_BASE_URL: required in production (the unsubscribe links in emails)');
  }

  const currentKey = env.SECRETS_KEY ? decodeKey('SECRETS_KEY', env.SECRETS_KEY, problems) : null;
  const previousKeys = env.SECRETS_KEYS_PREVIOUS.map((key, index) =>
    decodeKey(`SECRETS_KEYS_PREVIOUS[${index}]`, key, problems),
  );
  const s3Vars = [env.S3_BUCKET, env.S3_ACCESS_KEY_ID, env.S3_SECRET_ACCESS_KEY];
  if (s3Vars.some(Boolean) && !s3Vars.every(Boolean)) {
    problems.push('S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: set all three or none');
  }
  if (Boolean(env.PLATFORM_SMTP_URL) !== Boolean(env.PLATFORM_SMTP_FROM)) {
    problems.push('PLATFORM_SMTP_URL, PLATFORM_SMTP_FROM: set both or neither');
  }
  checkSplitRoles(env, problems, warnings);
  if (problems.length > 0) throw new ConfigError(problems);

  let secretsKey = currentKey;
  let adminToken = env.PLATFORM_ADMIN_TOKEN;
  if (!secretsKey || !adminToken) {
    const generated = loadGeneratedSecrets(env.DATA_DIR);
    if (!secretsKey) {
      secretsKey = Buffer.from(generated.secretsKey, 'base64');
      warnings.push(
        `SECRETS_KEY is not set: using the development key generated in ${generated.file}. Set SECRETS_KEY in production.`,
      );
    }
    if (!adminToken) {
      adminToken = generated.platformAdminToken;
      warnings.push(
        `PLATFORM_ADMIN_TOKEN is not set: using the development token generated in ${generated.file}.`,
      );
    }
  }

  return {
    nodeEnv: env.NODE_ENV,
    role: env.ROLE,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    database: {
      url: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
      poolMax: env.DB_POOL_MAX,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
    },
    secrets: { currentKey: secretsKey, previousKeys: previousKeys.filter((key) => key !== null) },
    platformAdminToken: adminToken,
    redisUrl: env.REDIS_URL,
    realtimeRedisKey: env.REALTIME_REDIS_KEY,
    http: {
      corsOrigins: env.CORS_ORIGINS,
      bodyLimit: env.BODY_LIMIT,
      trustProxy: env.TRUST_PROXY,
      jsonMaxDepth: env.HTTP_JSON_MAX_DEPTH,
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeoutMs: Math.min(env.HTTP_HEADERS_TIMEOUT_MS, env.HTTP_REQUEST_TIMEOUT_MS),
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    },
    rateLimit: { windowMs: env.RATE_LIMIT_WINDOW_MS, max: env.RATE_LIMIT_MAX },
    imports: { maxBytes: env.IMPORT_MAX_BYTES },
    preauthRateLimitPerMinute: env.PREAUTH_RATE_LIMIT_PER_MINUTE,
    tenancy: {
      maxCachedTenants: env.MAX_CACHED_TENANTS,
      authCacheTtlMs: env.AUTH_CACHE_TTL_MS,
    },
    auth: {
      accessTokenTtlSeconds: env.AUTH_ACCESS_TOKEN_TTL_SECONDS,
      sessionTtlMs: Math.round(env.AUTH_SESSION_TTL_DAYS * 86_400_000),
      refreshGraceMs: env.AUTH_REFRESH_GRACE_MS,
      cookies: env.AUTH_COOKIES,
      login: {
        maxFailures: env.AUTH_LOGIN_MAX_FAILURES,
        addressMaxFailures: env.AUTH_LOGIN_ADDRESS_MAX_FAILURES,
        lockoutMs: env.AUTH_LOCKOUT_SECONDS * 1000,
      },
    },
    ...(env.PLATFORM_SMTP_URL && env.PLATFORM_SMTP_FROM
      ? { platformSmtp: { url: env.PLATFORM_SMTP_URL, from: env.PLATFORM_SMTP_FROM } }
      : {}),
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    ...(env.IMPORT_BATCH_ROWS ? { importBatchRows: env.IMPORT_BATCH_ROWS } : {}),
    queue: {
      concurrency: env.WORKER_CONCURRENCY,
      prefetch: env.JOB_PREFETCH ?? env.WORKER_CONCURRENCY,
      pollMs: env.JOB_POLL_MS,
      leaseMs: env.JOB_LEASE_MS,
      timeoutMs: env.JOB_TIMEOUT_MS,
      tenantConcurrency: env.JOB_TENANT_CONCURRENCY ?? null,
      retentionDays: env.JOB_RETENTION_DAYS,
    },
    publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    s3:
      env.S3_BUCKET && env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
        ? {
            endpoint: env.S3_ENDPOINT,
            bucket: env.S3_BUCKET,
            region: env.S3_REGION,
            accessKeyId: env.S3_ACCESS_KEY_ID,
            secretAccessKey: env.S3_SECRET_ACCESS_KEY,
            forcePathStyle: env.S3_FORCE_PATH_STYLE,
          }
        : undefined,
    meta: {
      graphUrl: env.META_GRAPH_URL.replace(/\/+$/, ''),
      appSecret: env.META_APP_SECRET,
      verifyToken: env.META_VERIFY_TOKEN,
    },
    telephony: { twilioApiUrl: env.TWILIO_API_URL.replace(/\/+$/, '') },
    google: { apiRootUrl: env.GOOGLE_API_ROOT_URL, oauthTokenUrl: env.GOOGLE_OAUTH_TOKEN_URL },
    webhooks: { allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS },
    warnings,
  };
}

/**
 * A worker's realtime events (leads its jobs and cron create or change) reach dashboards,
 * whose sockets are on web processes, only through Redis: a worker without it would drop
 * them all, so it does not start. A web process without Redis hears only its own events:
 * right alone (development, tests), wrong beside a worker, so production warns.
 */
function checkSplitRoles(env: Env, problems: string[], warnings: string[]): void {
  if (env.REDIS_URL) return;
  if (env.ROLE === 'worker') {
    problems.push('REDIS_URL: required with ROLE=worker (its events reach dashboards through Redis)');
  } else if (env.ROLE === 'web' && env.NODE_ENV === 'production') {
    warnings.push(
      'REDIS_URL is not set with ROLE=web: dashboards here hear only this process, never a worker. Set REDIS_URL on every process of a split deployment.',
    );
  }
}

function decodeKey(name: string, value: string, problems: string[]): Buffer | null {
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) {
    problems.push(`${name}: must be 32 bytes, base64 or hex encoded (openssl rand -base64 32)`);
    return null;
  }
  return key;
}
