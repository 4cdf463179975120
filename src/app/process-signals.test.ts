import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../testing/test-database.js';

const root = join(import.meta.dirname, '../..');

/** Runs src/testing/faulting-server.ts to its end: its exit code and the log lines it wrote. */
async function runFaultingServer(db: TestDatabase, fault: 'exception' | 'rejection') {
  const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/testing/faulting-server.ts')], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      FAULT: fault,
      DATA_DIR: db.dataDir,
      SECRETS_KEY: Buffer.alloc(32, 3).toString('base64'),
      PLATFORM_ADMIN_TOKEN: 'faults-admin-token-0123456789',
      ...(db.url ? { DATABASE_URL: db.url } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } });
  return { code, lines, stderr };
}

describe('process-level faults', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  // The database kind plays no part in how a process ends: one kind is enough.
  it.skipIf(testDatabaseKind === 'pglite').each([
    ['exception', 'uncaught exception', 'fault: nobody caught this exception'],
    ['rejection', 'unhandled rejection', 'fault: nobody handled this rejection'],
  ] as const)(
    'an unhandled %s is logged at fatal, stops the app and exits 1',
    async (fault, msg, message) => {
      const db = await createTestDatabase();
      databases.push(db);
      const { code, lines, stderr } = await runFaultingServer(db, fault);
      expect(code, stderr).toBe(1);
      const fatal = lines.findIndex((line) => line.level === 60 && line.msg === msg);
      expect(fatal, JSON.stringify(lines)).toBeGreaterThanOrEqual(0);
      expect(lines[fatal]!.err?.message).toBe(message);
      // The graceful stop ran after it: the app's own stop(), not a bare exit.
      expect(lines.slice(fatal).map((line) => line.msg)).toEqual(
        expect.arrayContaining(['shutting down', 'stopped']),
      );
    },
  );
});
