import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, testAdminToken } from '../../testing/test-app.js';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database.js';

const run = promisify(execFile);
const cli = join(import.meta.dirname, 'main.ts');
const secretsKey = Buffer.alloc(32, 7).toString('base64');

async function tenantCli(db: TestDatabase, args: string[], stdin?: string) {
  // `node --import tsx` rather than the tsx CLI, which starts a second node process to run the file.
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
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

// Each step spawns a CLI process (tsx + PGlite start-up): slow on a loaded machine, and slower
// while other test files run beside it, hence the bound.
describe('pnpm tenant (CLI)', { timeout: 480_000 }, () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  it('onboards a tenant with the server stopped, then again through the running server', async () => {
    const db = await createTestDatabase();
    databases.push(db);

    const created = await tenantCli(db, [
      'create',
      '--code',
      'acme',
      '--name',
      'Acme Clinics',
      '--import-max-bytes',
      '1000',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const output = JSON.parse(created.stdout);
    expect(output).toEqual({
      clientCode: 'acme',
      apiKey: expect.stringMatching(/^sk_live_/),
      tenantId: expect.any(String),
    });

    const secretFile = join(db.dataDir, 'smtp.json');
    writeFileSync(
      secretFile,
      JSON.stringify({
        host: 'smtp.example.com',
        port: 587,
        password: 'hunter2-very-secret',
        fromAddress: 'crm@acme.test',
      }),
    );
    const secret = await tenantCli(db, [
      'set-secret',
      '--code',
      'acme',
      '--kind',
      'smtp',
      '--file',
      secretFile,
      '--json',
    ]);
    expect(secret.code).toBe(0);
    expect(secret.stdout).not.toContain('hunter2-very-secret');
    expect(JSON.parse(secret.stdout).value.password).toBe('••••cret');

    // Now a server holds the database; the CLI must go through its platform API.
    const t = await startTestApp({ SECRETS_KEY: secretsKey }, db);
    try {
      const whoami = await t.request('/api/crm/whoami', {
        headers: { 'x-client-code': 'acme', 'x-api-key': output.apiKey },
      });
      expect(whoami.body.data).toMatchObject({
        clientCode: 'acme',
        name: 'Acme Clinics',
        limits: { importMaxBytes: 1000 },
      });
      const raised = await tenantCli(db, [
        'set-limits',
        '--code',
        'acme',
        '--import-max-bytes',
        '5000',
        '--json',
      ]);
      expect(raised.code).toBe(0);
      expect(JSON.parse(raised.stdout).limits).toEqual({ importMaxBytes: 5000 });

      const second = await tenantCli(db, ['create', '--code', 'globex', '--name', 'Globex', '--json']);
      expect(second.code).toBe(0);
      const listed = await tenantCli(db, ['list', '--json']);
      expect(JSON.parse(listed.stdout).map((tenant: { clientCode: string }) => tenant.clientCode)).toEqual([
        'acme',
        'globex',
      ]);

      const suspended = await tenantCli(db, ['suspend', '--code', 'globex', '--json']);
      expect(JSON.parse(suspended.stdout).status).toBe('suspended');

      const key = await tenantCli(db, [
        'create-key',
        '--code',
        'acme',
        '--label',
        'zapier',
        '--scopes',
        'crm',
        '--json',
      ]);
      const { id: keyId } = JSON.parse(key.stdout);
      const revoked = await tenantCli(db, ['revoke-key', '--code', 'acme', '--key-id', keyId, '--json']);
      expect(JSON.parse(revoked.stdout).revokedAt).toBeTruthy();

      const fromStdin = await tenantCli(
        db,
        ['set-secret', '--code', 'acme', '--kind', 'database', '--file', '-', '--json'],
        JSON.stringify({ url: 'postgres://user:pw@db.internal:5432/crm' }),
      );
      expect(fromStdin.code).toBe(0);
      expect(fromStdin.stdout).not.toContain('pw@db.internal');

      const shown = await tenantCli(db, ['show', '--code', 'acme', '--json']);
      const details = JSON.parse(shown.stdout);
      expect(details.apiKeys).toHaveLength(2);
      expect(details.secrets.map((s: { kind: string }) => s.kind)).toEqual(['database', 'smtp']);

      const removed = await tenantCli(db, ['remove-secret', '--code', 'acme', '--kind', 'smtp', '--json']);
      expect(JSON.parse(removed.stdout)).toEqual({ kind: 'smtp', removed: true });
      const after = JSON.parse((await tenantCli(db, ['show', '--code', 'acme', '--json'])).stdout);
      expect(after.secrets.map((s: { kind: string }) => s.kind)).toEqual(['database']);
    } finally {
      await t.close();
    }
  });

  it('rejects bad input with a clear message and a non-zero exit', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const missing = await tenantCli(db, ['create', '--code', 'acme']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--name is required');

    const invalid = await tenantCli(db, ['create', '--code', '9bad', '--name', 'X', '--json']);
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stderr).error.code).toBe('validation_failed');

    await tenantCli(db, ['create', '--code', 'acme', '--name', 'Acme']);
    const badLimit = await tenantCli(db, ['set-limits', '--code', 'acme', '--import-max-bytes', '1e6']);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--import-max-bytes must be a whole number');
    const badSecret = await tenantCli(
      db,
      ['set-secret', '--code', 'acme', '--kind', 'smtp', '--file', '-', '--json'],
      '{"host":""}',
    );
    expect(badSecret.code).toBe(1);
    expect(JSON.parse(badSecret.stderr).error.message).toMatch(/host|port|fromAddress/);
  });
});
