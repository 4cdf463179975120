import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { startTestApp, testAdminToken } from '../testing/test-app.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';

const admin = { authorization: `Bearer ${testAdminToken}` };
const whatsapp = {
  phoneNumberIds: ['106540352242922'],
  wabaId: '102290129340398',
  accessToken: 'EAAG-super-secret-access-token-9876',
  appSecret: 'app-secret-value-abcdef123456',
  verifyToken: 'verify-token-value-xyz789',
};

describe('tenant secrets', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  it('round-trips, shows only masked values, and never logs them', async () => {
    const t = await startTestApp();
    try {
      const { tenant } = await t.createTenant('acme');
      const put = await t.request('/api/platform/tenants/acme/secrets/whatsapp', {
        method: 'PUT',
        headers: admin,
        body: whatsapp,
      });
      expect(put.status).toBe(200);
      expect(put.body.data.value).toMatchObject({
        phoneNumberIds: whatsapp.phoneNumberIds,
        wabaId: whatsapp.wabaId,
        accessToken: '••••9876',
        appSecret: '••••3456',
        verifyToken: '••••z789',
        graphApiVersion: 'v23.0',
      });
      const shown = await t.request('/api/platform/tenants/acme', { headers: admin });
      const everything = JSON.stringify(shown.body) + put.text + JSON.stringify(t.logs);
      for (const secret of [whatsapp.accessToken, whatsapp.appSecret, whatsapp.verifyToken]) {
        expect(everything).not.toContain(secret);
      }
      const stored = await t.app.services.platform
        .selectFrom('tenant_secrets')
        .selectAll()
        .executeTakeFirstOrThrow();
      expect(stored.ciphertext).not.toContain('EAAG');
      expect(await t.app.services.secrets.read(tenant.id, 'whatsapp')).toEqual({
        ...whatsapp,
        graphApiVersion: 'v23.0',
      });
    } finally {
      await t.close();
    }
  });

  it('validates each kind with its own schema', async () => {
    const t = await startTestApp();
    try {
      await t.createTenant('acme');
      const bad = await t.request('/api/platform/tenants/acme/secrets/smtp', {
        method: 'PUT',
        headers: admin,
        body: { host: 'smtp.test', port: 'x', fromAddress: 'not-an-email' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('validation_failed');
      expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
        'body.fromAddress',
        'body.port',
      ]);
      const unknownKind = await t.request('/api/platform/tenants/acme/secrets/ftp', {
        method: 'PUT',
        headers: admin,
        body: {},
      });
      expect(unknownKind.status).toBe(400);
    } finally {
      await t.close();
    }
  });

  it('removes a secret: the channel is disconnected and its WhatsApp numbers free for another tenant', async () => {
    const t = await startTestApp();
    try {
      const { tenant: acme } = await t.createTenant('acme');
      await t.createTenant('globex');
      const secret = (code: string, kind: string, method: string, body?: unknown) =>
        t.request(`/api/platform/tenants/${code}/secrets/${kind}`, { method, headers: admin, body });
      expect((await secret('acme', 'whatsapp', 'PUT', whatsapp)).status).toBe(200);
      expect(
        (
          await secret('acme', 'smtp', 'PUT', {
            host: 'mail.acme.test',
            port: 25,
            fromAddress: 'a@acme.test',
          })
        ).status,
      ).toBe(200);
      expect((await secret('globex', 'whatsapp', 'PUT', whatsapp)).status).toBe(409);

      const removed = await secret('acme', 'whatsapp', 'DELETE');
      expect(removed.status).toBe(200);
      expect(removed.body).toEqual({ success: true, data: { kind: 'whatsapp', removed: true } });
      expect(await t.app.services.secrets.read(acme.id, 'whatsapp')).toBeNull();
      const routes = async (table: 'whatsapp_numbers' | 'whatsapp_business_accounts') =>
        t.app.services.platform
          .selectFrom(table)
          .select('tenant_id')
          .where('tenant_id', '=', acme.id)
          .execute();
      expect(await routes('whatsapp_numbers')).toEqual([]);
      expect(await routes('whatsapp_business_accounts')).toEqual([]);
      expect((await secret('globex', 'whatsapp', 'PUT', whatsapp)).status).toBe(200);
      // Other kinds stay; removing what is not there is a 404, an unknown kind a 400.
      expect(await t.app.services.secrets.read(acme.id, 'smtp')).toMatchObject({ host: 'mail.acme.test' });
      const again = await secret('acme', 'whatsapp', 'DELETE');
      expect(again.status).toBe(404);
      expect(again.body.error.code).toBe('not_found');
      expect((await secret('acme', 'carrier-pigeon', 'DELETE')).status).toBe(400);
      expect((await secret('acme', 'database', 'DELETE')).status).toBe(409);
      expect((await secret('nobody', 'smtp', 'DELETE')).status).toBe(404);
      expect((await secret('acme', 'smtp', 'DELETE')).status).toBe(200);
      expect(await t.app.services.secrets.read(acme.id, 'smtp')).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('rotates SECRETS_KEY: old secrets stay readable, then are re-sealed under the new key', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');

    const first = await startTestApp({ SECRETS_KEY: oldKey }, db);
    const { tenant } = await first.createTenant('acme');
    await first.request('/api/platform/tenants/acme/secrets/whatsapp', {
      method: 'PUT',
      headers: admin,
      body: whatsapp,
    });
    await first.close();

    const second = await startTestApp({ SECRETS_KEY: newKey, SECRETS_KEYS_PREVIOUS: oldKey }, db);
    expect((await second.app.services.secrets.read(tenant.id, 'whatsapp'))?.accessToken).toBe(
      whatsapp.accessToken,
    );
    const rotated = await second.request('/api/platform/secrets/rotate', { method: 'POST', headers: admin });
    expect(rotated.body.data.resealed).toBe(1);
    await second.close();

    const third = await startTestApp({ SECRETS_KEY: newKey }, db);
    try {
      expect((await third.app.services.secrets.read(tenant.id, 'whatsapp'))?.accessToken).toBe(
        whatsapp.accessToken,
      );
    } finally {
      await third.close();
    }
  });
});

describe('log redaction', () => {
  it('censors secret fields and credentials headers wherever they appear', () => {
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _e, cb) {
          lines.push(chunk.toString());
          cb();
        },
      }),
    );
    logger.info({
      req: { headers: { 'x-api-key': 'sk_live_abc', authorization: 'Bearer tok' } },
      secret: { accessToken: 'EAAG123', password: 'pw1' },
      nested: { smtp: { password: 'pw2' } },
      apiKey: 'sk_live_top',
    });
    const line = lines.join('');
    for (const value of ['sk_live_abc', 'Bearer tok', 'EAAG123', 'pw1', 'pw2', 'sk_live_top'])
      expect(line).not.toContain(value);
    expect(line).toContain('[redacted]');
  });
});
