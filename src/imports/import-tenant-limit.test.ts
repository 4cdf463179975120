import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, untypedQueue, waitForStatus } from '../testing/job-queue.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';

const admin = { authorization: `Bearer ${testAdminToken}` };

/** A CSV of at least `bytes` bytes with a valid header. */
function csvOfSize(bytes: number): Buffer {
  const lines = ['Name,Mobile'];
  for (let i = 0, size = 0; size < bytes; i++) {
    const line = `Lead ${i},98${String(i).padStart(8, '0')}`;
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n') + '\n');
}

const paths = (res: { body: any }): string[] => res.body.error.details.map((detail: any) => detail.path);

/** Per-tenant limits (issue 15): set by the platform operator, applied without a restart. */
describe('per-tenant import limit (limits.importMaxBytes)', () => {
  let t: TestApp;
  const csv = csvOfSize(2048);

  const upload = (tenant: TestTenant) =>
    t.request('/api/crm/leads/import?mode=background', {
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body: csv,
    });
  const patchTenant = (code: string, body: unknown, headers: Record<string, string> = admin) =>
    t.request(`/api/platform/tenants/${code}`, { method: 'PATCH', headers, body });
  const limitsOf = async (code: string) =>
    (await t.request(`/api/platform/tenants/${code}`, { headers: admin })).body.data.limits;
  /** Until the tenant's own requests see `importMaxBytes` (the change reaches the caches by NOTIFY). */
  const untilTenantSees = async (tenant: TestTenant, importMaxBytes: number) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const whoami = await t.crm(tenant).get('/whoami');
      if (whoami.body.data.limits.importMaxBytes === importMaxBytes) return;
      if (Date.now() > deadline) throw new Error(`whoami still shows ${JSON.stringify(whoami.body.data)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeAll(async () => {
    // Web only: accepted imports stay queued, which is all these tests look at.
    t = await startTestApp({ ROLE: 'web' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it("refuses an upload over the tenant's override while another tenant's passes under the process limit", async () => {
    const limited = await t.createTenant(undefined, { limits: { importMaxBytes: 1000 } });
    const other = await t.createTenant();
    expect(limited.tenant.limits).toEqual({ importMaxBytes: 1000 });
    expect(other.tenant.limits).toEqual({});

    const refused = await upload(limited);
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ success: false, error: { code: 'payload_too_large' } });
    expect(refused.body.message).toMatch(/import limit of 1000 bytes/);
    expect((await t.crm(limited).get('/imports')).body.data.items).toEqual([]);

    const accepted = await upload(other);
    expect(accepted.status).toBe(202);
    expect(accepted.body.data).toMatchObject({ status: 'queued', bytes: csv.length });

    // The tenant sees the limits that apply to it; the other the process-wide one.
    expect((await t.crm(limited).get('/whoami')).body.data.limits).toEqual({ importMaxBytes: 1000 });
    expect((await t.crm(other).get('/whoami')).body.data.limits).toEqual({
      importMaxBytes: t.config.imports.maxBytes,
    });
  });

  it('takes a raised override into account without a restart, and null goes back to the process limit', async () => {
    const tenant = await t.createTenant(undefined, { limits: { importMaxBytes: 1000 } });
    const code = tenant.tenant.clientCode;
    // Its key, and so the tenant, is now cached by the authenticator.
    expect((await upload(tenant)).status).toBe(413);

    const raised = await patchTenant(code, { limits: { importMaxBytes: 4096 } });
    expect(raised.status).toBe(200);
    expect(raised.body.data).toMatchObject({ clientCode: code, limits: { importMaxBytes: 4096 } });
    expect(await limitsOf(code)).toEqual({ importMaxBytes: 4096 });
    await untilTenantSees(tenant, 4096);
    expect((await upload(tenant)).status).toBe(202);

    const lowered = await patchTenant(code, { limits: { importMaxBytes: 2000 } });
    expect(lowered.body.data.limits).toEqual({ importMaxBytes: 2000 });
    await untilTenantSees(tenant, 2000);
    expect((await upload(tenant)).status).toBe(413);

    // An absent key keeps the override; null removes it.
    expect((await patchTenant(code, { limits: {} })).body.data.limits).toEqual({ importMaxBytes: 2000 });
    const cleared = await patchTenant(code, { limits: { importMaxBytes: null } });
    expect(cleared.body.data.limits).toEqual({});
    await untilTenantSees(tenant, t.config.imports.maxBytes);
    expect((await upload(tenant)).status).toBe(202);

    const listed = (await t.request('/api/platform/tenants?limit=200', { headers: admin })).body.data.items;
    expect(listed.find((row: any) => row.clientCode === code).limits).toEqual({});
  });

  it('does not let a tenant set its own limits, whatever route it tries', async () => {
    const tenant = await t.createTenant(undefined, { limits: { importMaxBytes: 1000 } });
    const code = tenant.tenant.clientCode;
    const raise = { limits: { importMaxBytes: 10_000_000 } };

    // The platform API does not take a tenant's key.
    const withKey = await patchTenant(code, raise, tenant.headers);
    expect(withKey.status).toBe(401);
    expect(withKey.body.success).toBe(false);
    // The tenant's own API has no route that changes its profile or limits.
    for (const method of ['PATCH', 'PUT', 'POST']) {
      const attempt = await t.crm(tenant).send(method, '/whoami', raise);
      expect(attempt.status).toBe(404);
    }

    expect(await limitsOf(code)).toEqual({ importMaxBytes: 1000 });
    expect((await upload(tenant)).status).toBe(413);
  });

  it('refuses invalid limits and unknown fields with the validation envelope', async () => {
    const tenant = await t.createTenant(undefined, { limits: { importMaxBytes: 1000 } });
    const code = tenant.tenant.clientCode;

    const invalid: [unknown, string[]][] = [
      [{ limits: { importMaxBytes: 0 } }, ['body.limits.importMaxBytes']],
      [{ limits: { importMaxBytes: -5 } }, ['body.limits.importMaxBytes']],
      [{ limits: { importMaxBytes: 1.5 } }, ['body.limits.importMaxBytes']],
      [{ limits: { importMaxBytes: '5000' } }, ['body.limits.importMaxBytes']],
      [{ limits: { exportMaxBytes: 5000 } }, ['body.limits.exportMaxBytes']],
      [{ limits: 'huge' }, ['body.limits']],
      [{ name: 'Renamed', limits: { importMaxBytes: 5000 } }, ['body.name']],
    ];
    for (const [body, expected] of invalid) {
      const refused = await patchTenant(code, body);
      expect({ body, status: refused.status, code: refused.body.error?.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
      expect(paths(refused)).toEqual(expected);
    }

    const badCreate = await t.request('/api/platform/tenants', {
      headers: admin,
      body: { code: 'badlimits', name: 'Bad limits', limits: { importMaxBytes: 0, other: 1 } },
    });
    expect(badCreate.status).toBe(400);
    expect(badCreate.body.error.code).toBe('validation_failed');
    expect(paths(badCreate).sort()).toEqual(['body.limits.importMaxBytes', 'body.limits.other']);
    expect((await t.request('/api/platform/tenants/badlimits', { headers: admin })).status).toBe(404);

    // Nothing refused was written; an unknown tenant is a 404.
    expect(await limitsOf(code)).toEqual({ importMaxBytes: 1000 });
    const missing = await patchTenant('no_such_tenant', { limits: { importMaxBytes: 5000 } });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'not_found']);
  });

  it("carries the overrides to jobs: a worker's claim reads them with the tenant", async () => {
    const tenant = await t.createTenant(undefined, { limits: { importMaxBytes: 1234 } });
    // No open handle: the worker opens it from the tenant its claim read.
    t.app.services.connections.forget(tenant.tenant.id);
    const seen: unknown[] = [];
    const worker = await startWorker(t, [
      {
        kind: 'limits.probe',
        handler: async (ctx) => {
          seen.push(ctx.handle.tenant.limits);
        },
      },
    ]);
    try {
      const job = await untypedQueue(t).enqueue(tenant.tenant.id, 'limits.probe', {});
      await waitForStatus(t, tenant.tenant.id, job.id, 'succeeded');
    } finally {
      await worker.stop();
    }
    expect(seen).toEqual([{ importMaxBytes: 1234 }]);
  });
});
