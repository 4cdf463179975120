import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppServices } from '../app/services.js';
import { openServices } from '../app/switchyard.js';
import type { PlatformActor } from '../auth/platform-auth.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import { createMigratedTestDatabase, type TestDatabase } from '../testing/test-database.js';

/**
 * The process that changes a tenant drops its own cached copies before the change's call returns,
 * not when its NOTIFY comes back on the listener's connection: these services listen to nothing,
 * so only the change's own announcement can reach the caches.
 */
describe('tenant changes made by this process', () => {
  let database: TestDatabase;
  let services: AppServices;
  const seen: (string | null)[] = [];
  const actor: PlatformActor = { type: 'cli', id: null, name: 'test' };

  beforeAll(async () => {
    database = await createMigratedTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: database.dataDir,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    });
    const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    services = await openServices(config, createLogger({ level: 'warn' }, silent));
    services.tenantChanges.subscribe((tenantId) => seen.push(tenantId));
  });
  afterAll(async () => {
    await services?.realtime.close();
    await services?.servers.close();
    await database?.drop();
  });

  it('are applied here when the platform change returns: status, limits, keys, secrets', async () => {
    const { tenant, apiKey } = await services.tenantAdmin.createTenant(
      { code: 'changing', name: 'Changing' },
      actor,
    );
    const changes: [string, () => Promise<unknown>][] = [
      ['suspend', () => services.tenantAdmin.setStatus('changing', 'suspended', actor)],
      ['resume', () => services.tenantAdmin.setStatus('changing', 'active', actor)],
      [
        'limits',
        () => services.tenantAdmin.updateTenant('changing', { limits: { importMaxBytes: 1_000_000 } }, actor),
      ],
      ['key revoked', () => services.tenantAdmin.revokeKey('changing', apiKey.id, actor)],
      ['secret put', () => services.tenantAdmin.setSecret('changing', 'smtp', smtpSecret, actor)],
      ['secret removed', () => services.tenantAdmin.removeSecret('changing', 'smtp', actor)],
    ];
    for (const [name, change] of changes) {
      seen.length = 0;
      await change();
      expect(seen, name).toEqual([tenant.id]);
    }
  });

  it('are applied here when a session ends', async () => {
    const { tenant } = await services.tenantAdmin.createTenant({ code: 'sessions', name: 'Sessions' }, actor);
    seen.length = 0;
    await services.staffAuth.sessions.revokeUser(tenant.id, randomUUID(), 'test');
    expect(seen).toEqual([tenant.id]);
  });

  it('are not applied when the change rolls back', async () => {
    seen.length = 0;
    await expect(services.tenantAdmin.setStatus('no-such-tenant', 'suspended', actor)).rejects.toThrow();
    await expect(
      services.tenantChanges.inTransaction(services.platform, async (_trx, announce) => {
        await announce('00000000-0000-4000-8000-000000000000');
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(seen).toEqual([]);
  });
});

const smtpSecret = { host: 'smtp.example.test', port: 587, fromAddress: 'crm@example.test' };
