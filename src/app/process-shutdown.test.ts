import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequester } from '../testing/tenant-client.js';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../testing/test-database.js';

const root = join(import.meta.dirname, '../..');
const adminToken = 'shutdown-admin-token-0123456789';
const shutdownTimeoutMs = 8000;

/** The start commands render.yaml gives its services: Node itself, no shell or package manager. */
function renderStartCommands(): string[] {
  const yaml = readFileSync(join(root, 'render.yaml'), 'utf8');
  return [...yaml.matchAll(/^\s*startCommand:\s*(.+)$/gm)].map((match) => match[1]!.trim());
}

/** Whether any process of the group is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether the group is gone, waiting for it up to `withinMs` (a generous deadline, not a bound under test). */
async function groupGone(pgid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

const csvOf = (rows: number) =>
  ['Name,Mobile', ...Array.from({ length: rows }, (_, i) => `Lead ${i},97${String(i).padStart(8, '0')}`)]
    .join('\r\n')
    .concat('\r\n');

/**
 * A POST whose JSON body arrives in two parts: in flight from the first byte, answered only once
 * `finish()` sends the rest.
 */
function slowPost(port: number, path: string, headers: Record<string, string>, body: unknown) {
  const text = JSON.stringify(body);
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
  });
  const answered = new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
    req.once('response', (res) => {
      let data = '';
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, connection: res.headers.connection, body: data }),
      );
    });
    req.once('error', reject);
  });
  req.write(text.slice(0, 10));
  req.flushHeaders();
  return { answered, finish: () => req.end(text.slice(10)) };
}

describe.runIf(testDatabaseKind === 'postgres')('shutdown as deployed', () => {
  const databases: TestDatabase[] = [];
  const processes: ServerProcess[] = [];
  const envFor = (db: TestDatabase) => ({
    DATABASE_URL: db.url!,
    DATA_DIR: db.dataDir,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    PLATFORM_ADMIN_TOKEN: adminToken,
    SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
  });

  beforeAll(async () => {
    // render.yaml runs what `pnpm build` made: build it (it also copies the SQL files).
    await promisify(execFile)('pnpm', ['build'], { cwd: root });
  }, 180_000);
  afterAll(async () => {
    for (const server of processes)
      if (server.child.pid && groupAlive(server.child.pid)) process.kill(-server.child.pid, 'SIGKILL');
    for (const db of databases) await db.drop();
  });

  it('render.yaml starts Node itself', () => {
    expect(renderStartCommands()).toEqual(['node dist/server.js', 'node dist/server.js']);
  });

  it('on SIGTERM to the render.yaml start command: answers the request in flight, returns the running import job at once, stops on its own with exit 0', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const server = startServerProcess(envFor(db), renderStartCommands()[0]!.split(' '));
    processes.push(server);
    const port = await server.listening;
    const request = httpRequester(`http://127.0.0.1:${port}`);
    const created = await request<any>('/api/platform/tenants', {
      headers: { authorization: `Bearer ${adminToken}` },
      body: { code: 'shutdown', name: 'Shutdown', defaultCountry: 'IN' },
    });
    expect(created.status).toBe(201);
    const headers = { 'x-client-code': 'shutdown', 'x-api-key': created.body.data.apiKey.apiKey as string };

    // A long background import: its job is running when the signal comes.
    const accepted = await request<any>('/api/crm/leads/import?mode=background', {
      headers: { ...headers, 'content-type': 'text/csv' },
      body: csvOf(100_000),
    });
    expect(accepted.status).toBe(202);
    const database = new pg.Client({ connectionString: db.url });
    await database.connect();
    const importJob = async () =>
      (
        await database.query<{ status: string; locked_by: string | null; locked_until: Date | null }>(
          `select status, locked_by, locked_until from platform.jobs where kind = 'imports.run'`,
        )
      ).rows[0];
    try {
      await expect.poll(async () => (await importJob())?.status, { timeout: 30_000 }).toBe('running');

      const slow = slowPost(port, '/api/crm/leads', headers, { name: 'In Flight', phone: '+919811111111' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      process.kill(server.child.pid!, 'SIGTERM');
      await server.logged('shutting down');
      await new Promise((resolve) => setTimeout(resolve, 300));
      slow.finish();
      // Answered, on a connection the server then closes (no keep-alive wait holds the stop).
      expect(await slow.answered).toMatchObject({ status: 201, connection: 'close' });

      // The forced exit (a stop outlasting SHUTDOWN_TIMEOUT_MS) is code 1 and logs no 'stopped'; a
      // fault during the stop is code 1 too, and logged at fatal: the message shows which.
      const exited = await server.exit;
      expect(exited.code, JSON.stringify({ logs: server.logs, stderr: exited.stderr })).toBe(0);
      expect(await groupGone(server.child.pid!, 30_000)).toBe(true);
      expect(server.logs.map((line) => line.msg)).toEqual(
        expect.arrayContaining([
          'signal received',
          'released unfinished jobs',
          'job worker stopped',
          'stopped',
        ]),
      );
      expect(await importJob()).toMatchObject({ status: 'queued', locked_by: null, locked_until: null });
    } finally {
      await database.end();
    }
  }, 120_000);

  it('`pnpm start` stops cleanly on SIGTERM to its process group, leaving no Node process behind', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const server = startServerProcess(envFor(db), ['pnpm', 'start']);
    processes.push(server);
    await server.listening;
    process.kill(-server.child.pid!, 'SIGTERM');
    expect(await groupGone(server.child.pid!, 30_000)).toBe(true);
    // The app's own stop ran to its end ('stopped'), not the forced exit. pnpm exits first: Node's
    // last lines may still be on their way through the pipe.
    await expect.poll(() => server.logs.map((line) => line.msg), { timeout: 10_000 }).toContain('stopped');
  }, 60_000);
});
