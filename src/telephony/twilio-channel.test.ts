import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../http/app-error.js';
import { PermanentJobError } from '../queue/job-types.js';
import { tenantHandle } from '../testing/job-context.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { loadTelephony, requireTelephony, requireTelephonyForJob, TelephonyError } from './index.js';
import { FakeTwilio, newSid } from './testing/fake-twilio.js';

const admin = { authorization: `Bearer ${testAdminToken}` };
const callerId = '+14155550100';

describe('the twilio channel', () => {
  let t: TestApp;
  let fake: FakeTwilio;
  let acme: TestTenant;
  let globex: TestTenant;
  const accountSid = newSid('AC');
  const authToken = 'twilio-auth-token-0123456789';

  beforeAll(async () => {
    fake = await new FakeTwilio({
      accounts: [{ accountSid, authToken, callerIds: [callerId] }],
      mode: 'manual',
    }).start();
    // Every tenant goes to the fake through TWILIO_API_URL (trailing slashes stripped).
    t = await startTestApp({ TWILIO_API_URL: `${fake.baseUrl}//` });
    acme = await t.createTenant();
    globex = await t.createTenant();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const setSecret = (tenant: TestTenant, body: unknown) =>
    t.request(`/api/platform/tenants/${tenant.tenant.clientCode}/secrets/twilio`, {
      method: 'PUT',
      headers: admin,
      body,
    });

  it('validates the secret and shows the SID, caller ids and base URL, never the token', async () => {
    const bad = await setSecret(acme, { accountSid: 'AC123', authToken: '', callerIds: ['4155550100'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'body.accountSid',
      'body.authToken',
      'body.callerIds.0',
    ]);
    expect((await setSecret(acme, { accountSid, authToken, callerIds: [] })).status).toBe(400);
    const put = await setSecret(acme, { accountSid, authToken, callerIds: [callerId] });
    expect(put.status).toBe(200);
    expect(put.body.data.value).toEqual({ accountSid, authToken: '••••6789', callerIds: [callerId] });
    expect(put.text + JSON.stringify(t.logs)).not.toContain(authToken);
  });

  it('is absent until configured: null, 409 channel_not_configured, a permanent job error', async () => {
    const handle = await tenantHandle(t, globex.tenant.id);
    expect(await loadTelephony(t.app.services, handle)).toBeNull();
    await expect(requireTelephony(t.app.services, handle)).rejects.toMatchObject({
      code: 'channel_not_configured',
      status: 409,
    });
    await expect(requireTelephony(t.app.services, handle)).rejects.toBeInstanceOf(AppError);
    await expect(requireTelephonyForJob(t.app.services, handle)).rejects.toBeInstanceOf(PermanentJobError);
    const channels = await t.crm(globex).get('/channels');
    expect(channels.body.data.find((c: { channel: string }) => c.channel === 'twilio')).toEqual({
      channel: 'twilio',
      configured: false,
      healthy: null,
      lastError: null,
      checkedAt: null,
      details: {},
    });
  });

  it('places calls on TWILIO_API_URL and records the channel health in GET /channels', async () => {
    const handle = await tenantHandle(t, acme.tenant.id);
    const channel = (await requireTelephony(t.app.services, handle))!;
    expect(channel).toMatchObject({ accountSid, authToken, callerIds: [callerId], apiBaseUrl: fake.baseUrl });
    const request = {
      to: '+14155550199',
      from: callerId,
      answerUrl: `${t.baseUrl}/answer`,
      statusCallbackUrl: `${t.baseUrl}/status`,
      timeoutSeconds: 30,
    };
    const placed = await channel.provider.placeCall(request);
    expect(fake.calls.get(placed.callSid)).toMatchObject({ to: '+14155550199', from: callerId });
    const health = async () =>
      (await t.crm(acme).get('/channels')).body.data.find((c: { channel: string }) => c.channel === 'twilio');
    expect(await health()).toMatchObject({
      configured: true,
      healthy: true,
      lastError: null,
      details: { accountSid, callerIds: [callerId], apiBaseUrl: null },
    });
    // Recorded healthy already: the next accepted calls write nothing (the dialer places thousands).
    const { checkedAt } = await health();
    await channel.provider.placeCall(request);
    await (await requireTelephony(t.app.services, handle)).provider.placeCall(request);
    expect((await health()).checkedAt).toBe(checkedAt);

    // A bad number is the lead's problem, not the channel's.
    fake.script('+14155550198', { errorCode: 21211 });
    await expect(channel.provider.placeCall({ ...request, to: '+14155550198' })).rejects.toMatchObject({
      kind: 'invalid_number',
    });
    expect((await health()).healthy).toBe(true);

    // An unverified caller id is.
    const error = await channel.provider
      .placeCall({ ...request, from: '+14155550999' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelephonyError);
    expect(await health()).toMatchObject({ healthy: false, lastError: expect.stringContaining('(21210)') });

    // Healthy again after the next call Twilio accepts.
    await channel.provider.placeCall(request);
    expect(await health()).toMatchObject({ healthy: true, lastError: null });
  });

  it("a tenant's apiBaseUrl overrides TWILIO_API_URL; refused credentials mark the channel unhealthy", async () => {
    const other = await new FakeTwilio({ accounts: [{ accountSid, authToken: 'another-token' }] }).start();
    try {
      expect(
        (
          await setSecret(globex, {
            accountSid,
            authToken,
            callerIds: [callerId],
            apiBaseUrl: `${other.baseUrl}/`,
          })
        ).status,
      ).toBe(200);
      const handle = await tenantHandle(t, globex.tenant.id);
      const channel = (await loadTelephony(t.app.services, handle))!;
      expect(channel.apiBaseUrl).toBe(other.baseUrl);
      await expect(
        channel.provider.placeCall({
          to: '+14155550199',
          from: callerId,
          answerUrl: `${t.baseUrl}/answer`,
          statusCallbackUrl: `${t.baseUrl}/status`,
          timeoutSeconds: 30,
        }),
      ).rejects.toMatchObject({ kind: 'unauthorized' });
      expect(other.requests).toHaveLength(1);
      const twilio = (await t.crm(globex).get('/channels')).body.data.find(
        (c: { channel: string }) => c.channel === 'twilio',
      );
      expect(twilio).toMatchObject({
        configured: true,
        healthy: false,
        lastError: 'Authenticate (20003)',
        details: { apiBaseUrl: `${other.baseUrl}/` },
      });
    } finally {
      await other.close();
    }
  });
});
