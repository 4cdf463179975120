import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../queue/job-worker.js';
import { startWorker, waitForIdle } from '../testing/job-queue.js';
import { FakeGoogleCalendar } from '../testing/fake-google-calendar.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { pollConferenceJob } from './meetings.jobs.js';

const admin = { authorization: `Bearer ${testAdminToken}` };

describe('Google Meet meetings', () => {
  let t: TestApp;
  let calendar: FakeGoogleCalendar;
  let acme: TestTenant;
  let worker: JobWorker;
  // A meeting names an existing lead the caller may write (a key acting as the tenant: any).
  let leadId: string;
  const meeting = (extra: Record<string, unknown> = {}) => ({
    leadId,
    title: 'Demo with Jo',
    start: '2026-12-01T10:00:00Z',
    end: '2026-12-01T10:30:00Z',
    attendees: ['jo@example.test'],
    ...extra,
  });

  beforeAll(async () => {
    calendar = await new FakeGoogleCalendar().start();
    calendar.refreshTokens.add('acme-refresh');
    t = await startTestApp({
      GOOGLE_API_ROOT_URL: `${calendar.baseUrl}/`,
      GOOGLE_OAUTH_TOKEN_URL: `${calendar.baseUrl}/token`,
      ROLE: 'web',
    });
    worker = await startWorker(t, [pollConferenceJob]);
    acme = await t.createTenant('acme');
    leadId = (await t.crm(acme).post('/leads', { name: 'Jo', phone: '+14155550601' })).body.data.lead.id;
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
    await calendar?.close();
  });

  it('refuses before Google is configured and validates the body', async () => {
    const missing = await t.crm(acme).post('/meetings', meeting());
    expect(missing.status).toBe(409);
    expect(missing.body.error.code).toBe('channel_not_configured');
    const set = await t.request('/api/platform/tenants/acme/secrets/google', {
      method: 'PUT',
      headers: admin,
      body: {
        type: 'oauth',
        clientId: 'client',
        clientSecret: 'shh',
        refreshToken: 'acme-refresh',
        calendarId: 'sales@acme.test',
      },
    });
    expect(set.status).toBe(200);
    const backwards = await t.crm(acme).post('/meetings', meeting({ end: '2026-12-01T09:00:00Z' }));
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.details).toMatchObject([{ path: 'body.end' }]);
  });

  it('creates the event with a Meet conference and stores the link', async () => {
    const res = await t.crm(acme).post('/meetings', meeting());
    expect(res.status).toBe(201);
    const created = res.body.data;
    expect(created).toMatchObject({
      status: 'ready',
      leadId,
      title: 'Demo with Jo',
      attendees: ['jo@example.test'],
    });
    expect(created.hangoutLink).toMatch(/^https:\/\/meet\.google\.com\/\w{3}-\w{4}-\w{3}$/);
    expect(created.entryPoints).toMatchObject([
      { entryPointType: 'video', uri: created.hangoutLink },
      { entryPointType: 'phone' },
    ]);

    const insert = calendar.requests.find((r) => r.method === 'POST' && r.path.startsWith('/calendar/v3/'))!;
    expect(insert.path).toContain('/calendar/v3/calendars/sales%40acme.test/events');
    expect(insert.path).toContain('conferenceDataVersion=1');
    expect(insert.authorization).toBe('Bearer access-acme-refresh');
    expect(insert.body).toMatchObject({
      id: created.id.replace(/-/g, ''),
      summary: 'Demo with Jo',
      start: { dateTime: '2026-12-01T10:00:00.000Z' },
      attendees: [{ email: 'jo@example.test' }],
      conferenceData: {
        createRequest: { requestId: created.id, conferenceSolutionKey: { type: 'hangoutsMeet' } },
      },
    });
    const fetched = await t.crm(acme).get(`/meetings/${created.id}`);
    expect(fetched.body.data.hangoutLink).toBe(created.hangoutLink);
    expect((await t.crm(acme).get(`/meetings?leadId=${leadId}`)).body.data.items).toHaveLength(1);
  });

  it('polls a pending conference until it succeeds', async () => {
    calendar.pendingPolls = 2;
    const res = await t.crm(acme).post('/meetings', meeting({ title: 'Pending one' }));
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ status: 'pending', hangoutLink: null });
    // The worker polls after the delay, is told to wait again, then finds the link.
    const jobs = await waitForIdle(t, acme.tenant.id);
    expect(jobs).toMatchObject([
      {
        kind: 'meetings.poll_conference',
        payload: { meetingId: res.body.data.id },
        status: 'succeeded',
        attempts: 2,
        errors: [{ error: 'Meet conference still pending' }],
        result: { state: 'success' },
      },
    ]);
    const ready = await t.crm(acme).get(`/meetings/${res.body.data.id}`);
    expect(ready.body.data.status).toBe('ready');
    expect(ready.body.data.hangoutLink).toMatch(/^https:\/\/meet\.google\.com\//);
    calendar.pendingPolls = 0;
  });

  it('records a failed conference and a refused insert', async () => {
    calendar.failConference = true;
    const failed = await t.crm(acme).post('/meetings', meeting({ title: 'Fails' }));
    expect(failed.body.data).toMatchObject({ status: 'failed', hangoutLink: null });
    calendar.failConference = false;

    calendar.refreshTokens.clear();
    await t.request('/api/platform/tenants/acme/secrets/google', {
      method: 'PUT',
      headers: admin,
      body: {
        type: 'oauth',
        clientId: 'client',
        clientSecret: 'shh',
        refreshToken: 'revoked',
        calendarId: 'primary',
      },
    });
    const refused = await t.crm(acme).post('/meetings', meeting({ title: 'No auth' }));
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe('provider_error');
    const stored = await t.crm(acme).get(`/meetings/${refused.body.error.details.meetingId}`);
    expect(stored.body.data.status).toBe('failed');
    const channels = await t.crm(acme).get('/channels');
    const google = channels.body.data.find((c: { channel: string }) => c.channel === 'google');
    expect(google).toMatchObject({
      configured: true,
      healthy: false,
      details: { type: 'oauth', calendarId: 'primary' },
    });
    expect(google.lastError).toMatch(/invalid_grant|expired or revoked/);
  });

  it('acts as the delegated user through a service account (JWT bearer grant, signed with its key)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    calendar.serviceAccounts.set('meet-bot@acme-project.iam.gserviceaccount.com', publicKey);
    const delegated = await t.createTenant('delegated');
    const setKey = (key: string) =>
      t.request('/api/platform/tenants/delegated/secrets/google', {
        method: 'PUT',
        headers: admin,
        body: {
          type: 'service_account',
          clientEmail: 'meet-bot@acme-project.iam.gserviceaccount.com',
          privateKey: key,
          subject: 'sales@delegated.test',
          calendarId: 'primary',
        },
      });
    expect((await setKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).status).toBe(200);
    const lead = (await t.crm(delegated).post('/leads', { name: 'Jo', phone: '+14155550602' })).body.data
      .lead;
    const res = await t.crm(delegated).post('/meetings', meeting({ leadId: lead.id }));
    expect(res.status).toBe(201);
    expect(res.body.data.hangoutLink).toMatch(/^https:\/\/meet\.google\.com\//);
    const exchange = calendar.requests.filter((r) => r.path === '/token').at(-1)!;
    expect(exchange.body.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const claims = JSON.parse(Buffer.from(exchange.body.assertion.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({
      iss: 'meet-bot@acme-project.iam.gserviceaccount.com',
      sub: 'sales@delegated.test',
      scope: 'https://www.googleapis.com/auth/calendar.events',
    });
    const insert = calendar.requests.filter((r) => r.path.startsWith('/calendar/v3/')).at(-1)!;
    expect(insert.authorization).toBe('Bearer access-sa-sales@delegated.test');

    // A key Google does not know (rotated, revoked): 502, the channel marked unhealthy.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await setKey(other.export({ type: 'pkcs8', format: 'pem' }) as string);
    const refused = await t.crm(delegated).post('/meetings', meeting({ leadId: lead.id }));
    expect(refused.status).toBe(502);
    const channels = await t.crm(delegated).get('/channels');
    const google = channels.body.data.find((c: { channel: string }) => c.channel === 'google');
    expect(google).toMatchObject({ healthy: false });
    expect(google.lastError).toMatch(/invalid_grant|Invalid JWT Signature/);
  });
});
