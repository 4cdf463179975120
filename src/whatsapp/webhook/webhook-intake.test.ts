import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../../queue/job-worker.js';
import { startWorker, waitForIdle } from '../../testing/job-queue.js';
import { tenantHandle } from '../../testing/job-context.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { metaJson, sign, signedRequest, testAppSecret, webhook } from '../testing/meta-payloads.js';
import { storedEventsWith, textChange } from '../testing/stored-events.js';
import { WebhookEventStore } from './webhook-event-store.js';
import { processEventJob } from '../whatsapp.jobs.js';

const acmeNumber = '1000001';
const globexNumber = '2000002';

/** Concurrent deliveries: each one is answered only once its events are committed, and stored once. */
describe('WhatsApp webhook intake under concurrency', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let worker: JobWorker;

  const text = textChange;
  const post = (payload: unknown) => {
    const { body, headers } = signedRequest(payload);
    return t.request('/api/whatsapp/webhook', { method: 'POST', headers, body });
  };
  const eventsWith = (tenant: TestTenant, wamid: string) => storedEventsWith(t, tenant, wamid);
  const storedWamids = async (tenant: TestTenant, prefix: string) => {
    const { db } = await tenantHandle(t, tenant.tenant.id);
    const rows = await db
      .selectFrom('messages')
      .select('wamid')
      .where('wamid', 'like', `${prefix}%`)
      .execute();
    return rows.map((row) => row.wamid).sort();
  };
  /** Posts every payload at once; each answer is checked against the database the moment it arrives. */
  const burst = (payloads: { payload: unknown; durable: [TestTenant, string][] }[]) =>
    Promise.all(
      payloads.map(async ({ payload, durable }) => {
        const res = await post(payload);
        if (res.status === 200) {
          for (const [tenant, wamid] of durable) expect(await eventsWith(tenant, wamid)).toBe(1);
        }
        return res;
      }),
    );

  beforeAll(async () => {
    t = await startTestApp({ META_APP_SECRET: testAppSecret, ROLE: 'web' });
    worker = await startWorker(t, [processEventJob]);
    acme = await t.createTenant('acme');
    globex = await t.createTenant('globex');
    for (const [code, number] of [
      ['acme', acmeNumber],
      ['globex', globexNumber],
    ] as const) {
      const res = await t.request(`/api/platform/tenants/${code}/secrets/whatsapp`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${testAdminToken}` },
        body: { wabaId: `WABA-${code}`, phoneNumberIds: [number], accessToken: 'x', verifyToken: 'v' },
      });
      expect(res.status).toBe(200);
    }
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  it('stores and processes concurrent deliveries for one tenant exactly once', async () => {
    const wamids = Array.from({ length: 30 }, (_, i) => `wamid.ONE${String(i).padStart(2, '0')}`);
    const answers = await burst(
      wamids.map((wamid) => ({
        payload: webhook({ changes: [text(acmeNumber, wamid)] }),
        durable: [[acme, wamid]],
      })),
    );
    expect(answers.map((res) => res.status)).toEqual(wamids.map(() => 200));
    expect(answers.every((res) => res.body.data.events === 1)).toBe(true);

    const jobs = await waitForIdle(t, acme.tenant.id);
    expect(jobs.filter((job) => job.status !== 'succeeded')).toEqual([]);
    expect(await storedWamids(acme, 'wamid.ONE')).toEqual(wamids);
  });

  it('stores concurrent deliveries for two tenants, some spanning both, each in its tenant once', async () => {
    const payloads = Array.from({ length: 40 }, (_, i) => {
      const own: [string, TestTenant] = i % 2 ? [acmeNumber, acme] : [globexNumber, globex];
      const changes = [text(own[0], `wamid.TWO${i}`)];
      const durable: [TestTenant, string][] = [[own[1], `wamid.TWO${i}`]];
      if (i % 5 === 0) {
        const other: [string, TestTenant] = i % 2 ? [globexNumber, globex] : [acmeNumber, acme];
        changes.push(text(other[0], `wamid.TWO${i}.X`));
        durable.push([other[1], `wamid.TWO${i}.X`]);
      }
      return { payload: webhook({ changes }), durable };
    });
    const answers = await burst(payloads);
    expect(answers.map((res) => res.status)).toEqual(payloads.map(() => 200));

    for (const tenant of [acme, globex]) {
      const jobs = await waitForIdle(t, tenant.tenant.id);
      expect(jobs.filter((job) => job.status !== 'succeeded')).toEqual([]);
      const expected = payloads
        .flatMap(({ durable }) => durable)
        .filter(([owner]) => owner === tenant)
        .map(([, wamid]) => wamid);
      expect(await storedWamids(tenant, 'wamid.TWO')).toEqual(expected.sort());
    }
  });

  it('accepts a signed delivery with NUL characters, storing and processing it once without them', async () => {
    const wamid = 'wamid.NUL\u0000ID';
    const payload = webhook({ changes: [text(acmeNumber, wamid, 'before\u0000after \u0000')] });
    const res = await post(payload);
    expect(res.status).toBe(200);
    expect(res.body.data.events).toBe(1);

    const jobs = await waitForIdle(t, acme.tenant.id);
    expect(jobs.filter((job) => job.status !== 'succeeded')).toEqual([]);
    const { db } = await tenantHandle(t, acme.tenant.id);
    const messages = await db
      .selectFrom('messages')
      .select(['wamid', 'body'])
      .where('wamid', 'like', 'wamid.NUL%')
      .execute();
    expect(messages).toEqual([{ wamid: 'wamid.NUL\uFFFDID', body: 'before\uFFFDafter \uFFFD' }]);
    expect(await eventsWith(acme, 'wamid.NUL\uFFFDID')).toBe(1);
  });

  it('refuses a bad delivery in a concurrent burst without failing the others', async () => {
    const wamids = Array.from({ length: 20 }, (_, i) => `wamid.BURST${String(i).padStart(2, '0')}`);
    // A lone surrogate is valid JSON but malformed UTF-16, which jsonb refuses: only its own
    // transaction fails. A NUL beside it is replaced and stored like any other delivery.
    const bodies: Record<number, string> = { 7: 'lone \ud800 surrogate', 12: 'nul \u0000 inside' };
    const payloads = wamids.map((wamid, i) => ({
      payload: webhook({ changes: [text(acmeNumber, wamid, bodies[i])] }),
      durable: [[acme, wamid]] as [TestTenant, string][],
    }));
    const unsigned = metaJson(webhook({ changes: [text(acmeNumber, 'wamid.BURST.UNSIGNED')] }));
    const [answers, refused] = await Promise.all([
      burst(payloads),
      t.request('/api/whatsapp/webhook', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(unsigned, 'wrong') },
        body: unsigned,
      }),
    ]);
    expect(refused.status).toBe(401);
    expect(answers.map((res) => res.status)).toEqual(wamids.map((_, i) => (i === 7 ? 400 : 200)));
    expect(answers[7]!.body.error.code).toBe('invalid_data');

    await waitForIdle(t, acme.tenant.id);
    expect(await storedWamids(acme, 'wamid.BURST')).toEqual(wamids.filter((_, i) => i !== 7));
    expect(await eventsWith(acme, wamids[7]!)).toBe(0);
    const { db } = await tenantHandle(t, acme.tenant.id);
    const withNul = await db.selectFrom('messages').select('body').where('wamid', '=', wamids[12]!).execute();
    expect(withNul).toEqual([{ body: 'nul \uFFFD inside' }]);
  });

  it('retries a batch that fails as a whole share by share, in one tenant transaction each', async () => {
    const store = new WebhookEventStore(t.app.services);
    const tenant = await t.app.services.tenantAdmin.requireTenant('acme');
    const wamids = Array.from({ length: 12 }, (_, i) => `wamid.BATCH${String(i).padStart(2, '0')}`);
    // Submitted together: the first two go out at once (two flushes in flight), the rest as one batch.
    const outcomes = await Promise.allSettled(
      wamids.map((wamid, i) =>
        store.store(tenant, [
          { field: 'messages', value: text(acmeNumber, wamid, i === 9 ? '\ud800' : 'ok').value },
        ]),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(
      wamids.map((_, i) => (i === 9 ? 'rejected' : 'fulfilled')),
    );
    await waitForIdle(t, acme.tenant.id);
    expect(await storedWamids(acme, 'wamid.BATCH')).toEqual(wamids.filter((_, i) => i !== 9));
  });
});
