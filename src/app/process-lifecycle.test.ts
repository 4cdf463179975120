import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess as startServer } from '../testing/server-process.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../testing/test-database.js';

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
