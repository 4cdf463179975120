import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, testAdminToken } from '../../testing/test-app.js';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database.js';
import { cliUserName } from './connect.js';

const run = promisify(execFile);
const cli = join(import.meta.dirname, 'main.ts');
const secretsKey = Buffer.alloc(32, 9).toString('base64');
const admin = { authorization: `Bearer ${testAdminToken}` };

async function tenantCli(db: TestDatabase, args: string[]) {
  const child = run(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATA_DIR: db.dataDir,
      DATABASE_URL: db.url ?? '',
      SECRETS_KEY: secretsKey,
      PLATFORM_ADMIN_TOKEN: testAdminToken,
    },
  });
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// Each step spawns a CLI process (tsx + PGlite start-up): slow on a loaded machine.
describe('pnpm tenant staff-add and the CLI in the audit log', { timeout: 480_000 }, () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  it('adds staff who can log in, and records CLI changes as the OS user, with or without a server', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const osUser = cliUserName();

    const added = await tenantCli(db, [
      'staff-add',
      '--email',
      'ops@staff.test',
      '--name',
      'Ops Person',
      '--role',
      'platform_support',
      '--json',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const { staff, initialPassword } = JSON.parse(added.stdout);
    expect(staff).toMatchObject({ email: 'ops@staff.test', role: 'platform_support', status: 'active' });
    expect(initialPassword).toEqual(expect.any(String));

    const short = await tenantCli(db, [
      'staff-add',
      '--email',
      'short@staff.test',
      '--name',
      'Short',
      '--role',
      'platform_admin',
      '--password',
      'short',
      '--json',
    ]);
    expect(short.code).toBe(1);
    expect(JSON.parse(short.stderr).error.code).toBe('validation_failed');
    const badRole = await tenantCli(db, [
      'staff-add',
      '--email',
      'x@staff.test',
      '--name',
      'X',
      '--role',
      'root',
    ]);
    expect(badRole.code).toBe(2);

    expect((await tenantCli(db, ['create', '--code', 'clitenant', '--name', 'CLI Tenant'])).code).toBe(0);

    // A server holds the database now: the CLI goes through its platform API, still as the CLI.
    const t = await startTestApp({ SECRETS_KEY: secretsKey }, db);
    try {
      const suspended = await tenantCli(db, ['suspend', '--code', 'clitenant', '--json']);
      expect(suspended.code, suspended.stderr).toBe(0);

      const login = await t.request<any>('/api/auth/platform/login', {
        body: { email: 'ops@staff.test', password: initialPassword },
      });
      expect(login.status).toBe(200);
      const staffHeaders = { authorization: `Bearer ${login.body.data.accessToken}` };
      expect((await t.request('/api/platform/tenants', { headers: staffHeaders })).status).toBe(200);

      const audit = await t.request<any>('/api/platform/audit', { headers: staffHeaders });
      expect(audit.status).toBe(200);
      const entries = audit.body.data.items
        .map((entry: any) => [entry.action, entry.actor.type, entry.actor.name, entry.actor.id])
        .reverse();
      expect(entries).toEqual([
        ['staff.create', 'cli', osUser, null],
        ['tenant.create', 'cli', osUser, null],
        ['tenant.suspend', 'cli', osUser, null],
      ]);
      // The shared token without the CLI's header is the token.
      await t.request('/api/platform/tenants/clitenant/resume', { method: 'POST', headers: admin });
      const [latest] = (await t.request<any>('/api/platform/audit?limit=1', { headers: admin })).body.data
        .items;
      expect(latest).toMatchObject({ action: 'tenant.resume', actor: { type: 'admin_token' } });
    } finally {
      await t.close();
    }
  });
});
