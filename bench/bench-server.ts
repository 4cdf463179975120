import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../src/testing/test-database.js';
import { testRedisUrl } from '../src/testing/test-redis.js';
import { startCpuMeasurement, type CpuPerRequest } from './lib/cpu.js';
import { freePort } from '../src/testing/free-port.js';

const adminToken = 'bench-platform-admin-token-0123456789';
const root = join(import.meta.dirname, '..');

export interface BenchServer {
  baseUrl: string;
  database: TestDatabase;
  /** Headers that authenticate as the platform admin. */
  adminHeaders: Record<string, string>;
  /** Creates a tenant and returns headers authenticating as it. */
  createTenant(
    code: string,
    extra?: Record<string, unknown>,
  ): Promise<{ headers: Record<string, string>; schema: string }>;
  /** Starts measuring CPU (Linux /proc); the answer divides what each side used by the requests. */
  measureCpu(): (requests: number) => CpuPerRequest;
  /** Starts `server.ts` with ROLE=worker (and Redis) on the same database and secrets key; answers its stop. */
  startWorker(env?: Record<string, string>): () => Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `server.ts` as its own process on a fresh database of the local Postgres server, so
 * the load generator (this process) and the server do not share an event loop.
 */
export async function startBenchServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const database = await createTestDatabase('postgres');
  const port = await freePort();
  const serverEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    // Errors only, shown: a crash or a 5xx is seen in the bench's output, the access lines are not.
    LOG_LEVEL: 'error',
    DATABASE_URL: database.url!,
    DATA_DIR: database.dataDir,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    PLATFORM_ADMIN_TOKEN: adminToken,
    RATE_LIMIT_MAX: '100000000',
    PREAUTH_RATE_LIMIT_PER_MINUTE: '100000000',
    ...env,
  };
  const start = (extra: Record<string, string>) =>
    spawn(join(root, 'node_modules/.bin/tsx'), ['server.ts'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...serverEnv, ...extra },
    });
  const stopProcess = async (running: ChildProcess) => {
    if (running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  const child = start({});
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${baseUrl}/`)).ok) break;
    } catch {
      if (attempt > 300) throw new Error('bench server did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    baseUrl,
    database,
    adminHeaders: { authorization: `Bearer ${adminToken}` },
    async createTenant(code, extra = {}) {
      const response = await fetch(`${baseUrl}/api/platform/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ code, name: code, ...extra }),
      });
      const body = (await response.json()) as any;
      if (response.status !== 201) throw new Error(`tenant creation failed: ${JSON.stringify(body)}`);
      return {
        headers: {
          'x-client-code': code,
          'x-api-key': body.data.apiKey.apiKey,
          'content-type': 'application/json',
        },
        schema: `t_${code}`,
      };
    },
    measureCpu: () => startCpuMeasurement(child.pid!),
    startWorker(extra = {}) {
      // A worker's events reach dashboards only through Redis: it does not start without it.
      const worker = start({ REDIS_URL: testRedisUrl, ...extra, ROLE: 'worker' });
      return () => stopProcess(worker);
    },
    async stop() {
      await stopProcess(child);
      await database.drop();
    },
  };
}
