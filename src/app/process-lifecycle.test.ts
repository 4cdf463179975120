import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../testing/test-database.js';

const root = join(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

interface Started {
  child: ChildProcess;
  exit: Promise<{ code: number | null; stderr: string }>;
  /** Resolves with the port once the process logs that it listens; rejects if it exits first. */
  listening: Promise<number>;
}

function startServer(env: Record<string, string>): Started {
  const child = spawn(tsx, [join(root, 'server.ts')], {
    env: { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr })),
  );
  const listening = new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk) => {
      buffer += chunk;
      for (const line of buffer.split('\n')) {
        if (line.includes('"msg":"listening"')) resolve(JSON.parse(line).port);
      }
    });
    void exit.then(({ code, stderr: err }) => reject(new Error(`exited with ${code}: ${err}`)));
  });
  listening.catch(() => undefined); // awaited only by tests that expect the process to come up
  return { child, exit, listening };
}

describe('process lifecycle', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });
  const envFor = (db: TestDatabase) => ({
    DATA_DIR: db.dataDir,
    SECRETS_KEY: Buffer.alloc(32, 3).toString('base64'),
    PLATFORM_ADMIN_TOKEN: 'lifecycle-admin-token-0123456789',
    ...(db.url ? { DATABASE_URL: db.url } : {}),
  });

  it('refuses to start with bad configuration, naming each variable', async () => {
    const server = startServer({ PORT: 'abc', ROLE: 'chef', DATA_DIR: '/tmp' });
    const { code, stderr } = await server.exit;
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('ROLE');
    expect(stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const server = startServer(envFor(db));
    const port = await server.listening;
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect((await server.exit).code).toBe(0);
  });

  it.skipIf(testDatabaseKind === 'pglite')(
    'brings up two processes started at once on one fresh database',
    async () => {
      const db = await createTestDatabase();
      databases.push(db);
      const servers = [startServer(envFor(db)), startServer(envFor(db))];
      const ports = await Promise.all(servers.map((server) => server.listening));
      for (const port of ports)
        expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
      for (const server of servers) server.child.kill('SIGTERM');
      for (const server of servers) expect((await server.exit).code).toBe(0);
    },
  );

  it.skipIf(testDatabaseKind === 'postgres')(
    'lets only one process open the embedded database, and says why',
    async () => {
      const db = await createTestDatabase();
      databases.push(db);
      const first = startServer(envFor(db));
      await first.listening;
      const second = startServer(envFor(db));
      const { code, stderr } = await second.exit;
      expect(code).toBe(1);
      expect(stderr).toMatch(/open in process \d+/);
      first.child.kill('SIGTERM');
      expect((await first.exit).code).toBe(0);
    },
  );
});
