import { webhookClient } from '../testing/webhook-client.js';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../../queue/job-worker.js';
import { startWorker, waitForIdle } from '../../testing/job-queue.js';
import { FakeGraphApi } from '../../testing/fake-graph-api.js';
import { tenantHandle } from '../../testing/job-context.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { issueExampleRule } from '../../testing/example-rule.js';
import { replaceTemplates } from './templates.repository.js';
import {
  change,
  inbound,
  templateCategoryUpdate,
  templateQualityUpdate,
  templateStatusUpdate,
  testAppSecret,
  webhook,
  type TemplateSpec,
} from '../testing/meta-payloads.js';
import { processEventJob, sendMessageJob, syncTemplatesJob } from '../whatsapp.jobs.js';

const acmeNumber = '1000001';
const globexNumber = '2000002';
const acmeWaba = '102290129340398';
const globexWaba = '102290129340399';
const welcome: TemplateSpec = { id: 1689556908129832, name: 'welcome', language: 'en_US' };
const orderUpdate: TemplateSpec = { id: 806312974732579, name: 'order_update', language: 'en_US' };
const now = () => Math.floor(Date.now() / 1000);

/** Account-level webhooks (template status, quality, category) reach the tenant owning entry.id, the WABA. */
describe('WhatsApp template webhooks routed by WABA', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let acme: TestTenant;
  let globex: TestTenant;
  let worker: JobWorker;
  const sockets: Socket[] = [];
  const realtime: Record<string, { event: string; payload: any }[]> = { acme: [], globex: [] };

  const { setWhatsApp, post } = webhookClient(() => t);
  const settled = async () => {
    for (const tenant of [acme, globex]) {
      const jobs = await waitForIdle(t, tenant.tenant.id);
      expect(jobs.filter((job) => job.status !== 'succeeded')).toEqual([]);
    }
  };
  const templateOf = async (tenant: TestTenant, name: string, language = 'en_US') =>
    (await tenantHandle(t, tenant.tenant.id)).db
      .selectFrom('whatsapp_templates')
      .selectAll()
      .where('name', '=', name)
      .where('language', '=', language)
      .executeTakeFirst();
  const eventCount = async (tenant: TestTenant) =>
    Number(
      (
        await (
          await tenantHandle(t, tenant.tenant.id)
        ).db
          .selectFrom('whatsapp_events')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    graph = await new FakeGraphApi('token').start();
    t = await startTestApp({ META_APP_SECRET: testAppSecret, META_GRAPH_URL: graph.baseUrl, ROLE: 'web' });
    worker = await startWorker(t, [processEventJob, sendMessageJob, syncTemplatesJob]);
    acme = await t.createTenant('acme');
    globex = await t.createTenant('globex');
    const secret = { accessToken: 'token', verifyToken: 'v' };
    expect(
      (await setWhatsApp('acme', { ...secret, wabaId: acmeWaba, phoneNumberIds: [acmeNumber] })).status,
    ).toBe(200);
    expect(
      (
        await setWhatsApp('globex', {
          ...secret,
          wabaId: globexWaba,
          phoneNumberIds: [globexNumber],
          appSecret: 'globex-own-app-secret',
        })
      ).status,
    ).toBe(200);

    // Both WABAs list the same templates (same ids): only the route tells the tenants apart.
    graph.templates = [welcome, orderUpdate].map((template) => ({
      id: String(template.id),
      name: template.name,
      language: template.language,
      status: 'APPROVED',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Hello {{1}}' }],
    }));
    for (const tenant of [acme, globex]) {
      await t.crm(tenant).post('/whatsapp/templates/sync');
    }
    await settled();

    for (const [code, tenant] of [
      ['acme', acme],
      ['globex', globex],
    ] as const) {
      const socket = io(t.baseUrl, {
        auth: { clientCode: code, apiKey: tenant.apiKey },
        transports: ['websocket'],
      });
      socket.onAny((event: string, payload: unknown) => realtime[code]!.push({ event, payload }));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      sockets.push(socket);
    }
  });
  afterAll(async () => {
    await worker?.stop();
    for (const socket of sockets) socket.disconnect();
    await t?.close();
    await graph?.close();
  });

  it('refuses a WABA that belongs to another tenant, rolling back the whole secret change', async () => {
    const res = await setWhatsApp('globex', {
      wabaId: acmeWaba,
      phoneNumberIds: ['2000003'],
      accessToken: 'changed-token',
      verifyToken: 'v',
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'conflict', details: { wabaId: acmeWaba } });
    expect((await t.app.services.secrets.read(globex.tenant.id, 'whatsapp'))?.accessToken).toBe('token');
    const { platform } = t.app.services;
    const routes = await platform
      .selectFrom('whatsapp_business_accounts')
      .select(['waba_id', 'tenant_id'])
      .orderBy('waba_id')
      .execute();
    expect(routes).toEqual([
      { waba_id: acmeWaba, tenant_id: acme.tenant.id },
      { waba_id: globexWaba, tenant_id: globex.tenant.id },
    ]);
    const numbers = await platform
      .selectFrom('whatsapp_numbers')
      .select('phone_number_id')
      .where('tenant_id', '=', globex.tenant.id)
      .execute();
    expect(numbers).toEqual([{ phone_number_id: globexNumber }]);
    // Setting a tenant's own WABA again is no conflict.
    expect(
      (
        await setWhatsApp('acme', {
          wabaId: acmeWaba,
          phoneNumberIds: [acmeNumber],
          accessToken: 'token',
          verifyToken: 'v',
        })
      ).status,
    ).toBe(200);
  });

  it("routes a template status change on the platform path to the WABA's tenant only", async () => {
    const paused = templateStatusUpdate('PAUSED', welcome, {
      other_info: {
        title: 'FIRST_PAUSE',
        description:
          'Your WhatsApp message template has been paused for 3 hours until Aug 30 at 6:47 PM UTC.',
      },
    });
    const res = await post(webhook({ wabaId: acmeWaba, time: now(), changes: [paused] }));
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ events: 1, unknownPhoneNumberIds: [], unknownWabaIds: [] });
    await settled();

    expect(await templateOf(acme, 'welcome')).toMatchObject({
      template_id: String(welcome.id),
      status: 'PAUSED',
      status_reason: 'NONE',
      status_info: { other_info: { title: 'FIRST_PAUSE' } },
      components: [{ type: 'BODY', text: 'Hello {{1}}' }],
    });
    expect(await templateOf(globex, 'welcome')).toMatchObject({ status: 'APPROVED', status_reason: null });
    await expect
      .poll(() => realtime.acme!.find((r) => r.event === 'template.status')?.payload)
      .toEqual({
        templateId: String(welcome.id),
        name: 'welcome',
        language: 'en_US',
        status: 'PAUSED',
        event: 'PAUSED',
        reason: 'NONE',
      });
    expect(realtime.globex!.filter((r) => r.event === 'template.status')).toEqual([]);
  });

  it('a PAUSED template can no longer be used by a rule or a send, and can again once reinstated', async () => {
    const rule = {
      ...issueExampleRule,
      actions: [{ type: 'send_whatsapp_template', template: 'welcome', language: 'en_US', variables: [] }],
    };
    const createRule = () => t.automations(acme).post('/rules', rule);
    const refused = await createRule();
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([
      { path: 'body.actions.0.template', message: "No approved WhatsApp template 'welcome' (en_US)" },
    ]);

    await post(
      webhook({
        changes: [
          change({
            phoneNumberId: acmeNumber,
            messages: [inbound('wamid.PAUSE1', '34600111222', 'text', { text: { body: 'hi' } })],
          }),
        ],
      }),
    );
    await settled();
    const conversation = (await t.crm(acme).get('/conversations')).body.data.items[0];
    const sendWelcome = () =>
      t.crm(acme).post(`/conversations/${conversation.id}/messages`, {
        type: 'template',
        template: { name: 'welcome', language: 'en_US' },
      });
    const notSent = await sendWelcome();
    expect(notSent.status).toBe(409);
    expect(notSent.body.error).toMatchObject({
      code: 'template_not_approved',
      details: { status: 'PAUSED' },
    });

    await post(
      webhook({ wabaId: acmeWaba, time: now(), changes: [templateStatusUpdate('REINSTATED', welcome)] }),
    );
    await settled();
    expect((await createRule()).status).toBe(201);
    expect((await sendWelcome()).status).toBe(202);
  });

  it("splits one delivery: a message for one tenant's number, quality and category changes for another's WABA", async () => {
    const before = await eventCount(acme);
    const res = await post(
      webhook(
        {
          wabaId: globexWaba,
          changes: [
            change({
              phoneNumberId: globexNumber,
              messages: [inbound('wamid.MIXED', '34600333444', 'text', { text: { body: 'for globex' } })],
            }),
          ],
        },
        {
          wabaId: acmeWaba,
          time: now(),
          changes: [
            templateQualityUpdate(orderUpdate, 'GREEN', 'YELLOW'),
            templateCategoryUpdate(orderUpdate, 'MARKETING', 'UTILITY'),
          ],
        },
      ),
    );
    expect(res.body.data).toEqual({ events: 2, unknownPhoneNumberIds: [], unknownWabaIds: [] });
    await settled();

    const globexDb = (await tenantHandle(t, globex.tenant.id)).db;
    expect(
      await globexDb.selectFrom('messages').select('body').where('wamid', '=', 'wamid.MIXED').execute(),
    ).toEqual([{ body: 'for globex' }]);
    expect(await templateOf(acme, 'order_update')).toMatchObject({
      quality_score: 'YELLOW',
      category: 'UTILITY',
    });
    expect(await templateOf(globex, 'order_update')).toMatchObject({
      quality_score: null,
      category: 'MARKETING',
    });
    expect(await eventCount(acme)).toBe(before + 1);
    const acmeDb = (await tenantHandle(t, acme.tenant.id)).db;
    expect(
      await acmeDb.selectFrom('messages').select('id').where('wamid', '=', 'wamid.MIXED').execute(),
    ).toEqual([]);
  });

  it('acknowledges an account-level change for a WABA nobody owns, storing nothing', async () => {
    const before = [await eventCount(acme), await eventCount(globex)];
    const res = await post(
      webhook({ wabaId: '999000111', time: now(), changes: [templateStatusUpdate('APPROVED', welcome)] }),
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ events: 0, unknownPhoneNumberIds: [], unknownWabaIds: ['999000111'] });
    expect(t.logs).toContainEqual(
      expect.objectContaining({
        msg: 'whatsapp webhook changes with no tenant route were acknowledged and dropped',
        unknownWabaIds: ['999000111'],
      }),
    );
    expect([await eventCount(acme), await eventCount(globex)]).toEqual(before);
  });

  it("on a tenant's own path: routes by WABA, falls back to that tenant, never reaches another tenant", async () => {
    const fallback: TemplateSpec = { id: 1200000000000001, name: 'fallback_only', language: 'es' };
    const res = await post(
      webhook(
        {
          wabaId: globexWaba,
          time: now(),
          changes: [templateStatusUpdate('REJECTED', orderUpdate, { reason: 'INVALID_FORMAT' })],
        },
        { wabaId: '555000', time: now(), changes: [templateStatusUpdate('APPROVED', fallback)] },
        { wabaId: acmeWaba, time: now(), changes: [templateStatusUpdate('DISABLED', orderUpdate)] },
      ),
      '/api/whatsapp/webhook/globex',
      'globex-own-app-secret',
    );
    expect(res.body.data).toEqual({ events: 1, unknownPhoneNumberIds: [], unknownWabaIds: [acmeWaba] });
    await settled();
    expect(await templateOf(globex, 'order_update')).toMatchObject({
      status: 'REJECTED',
      status_reason: 'INVALID_FORMAT',
    });
    expect(await templateOf(globex, 'fallback_only', 'es')).toMatchObject({ status: 'APPROVED' });
    expect(await templateOf(acme, 'order_update')).toMatchObject({ status: 'APPROVED' });
  });

  it("applies status changes in Meta's order, adds templates not synced yet, and skips other account-level fields", async () => {
    const spring: TemplateSpec = { id: 1300000000000001, name: 'spring_sale', language: 'en-US' };
    const at = now();
    const res = await post(
      webhook({
        wabaId: acmeWaba,
        time: at,
        changes: [
          templateStatusUpdate('APPROVED', spring, { message_template_category: 'UTILITY' }),
          { field: 'business_capability_update', value: { max_daily_conversation_per_phone: 1000 } },
          { field: 'message_template_status_update', value: { event: 'APPROVED' } },
          templateStatusUpdate('FLAGGED', welcome),
        ],
      }),
    );
    expect(res.body.data.events).toBe(1);
    // Delivered late: older than what is stored, so it changes nothing.
    await post(
      webhook({ wabaId: acmeWaba, time: at - 3600, changes: [templateStatusUpdate('PENDING', spring)] }),
    );
    await settled();

    const list = await t.crm(acme).get('/whatsapp/templates');
    expect(list.body.data.items.find((x: { name: string }) => x.name === 'spring_sale')).toMatchObject({
      templateId: String(spring.id),
      language: 'en_US',
      status: 'APPROVED',
      statusReason: 'NONE',
      category: 'UTILITY',
      components: [],
    });
    // FLAGGED templates can still be sent: the status stays.
    expect(await templateOf(acme, 'welcome')).toMatchObject({ status: 'APPROVED' });
  });

  it('a sync keeps a status a webhook set after its listing began, and takes its own otherwise', async () => {
    const { db } = await tenantHandle(t, acme.tenant.id);
    await post(
      webhook({ wabaId: acmeWaba, time: now(), changes: [templateStatusUpdate('PAUSED', welcome)] }),
    );
    await settled();
    const listed = graph.templates.map((template) => ({ ...template, status: 'APPROVED' }));

    await replaceTemplates(db, listed, new Date(Date.now() - 60_000));
    expect(await templateOf(acme, 'welcome')).toMatchObject({ status: 'PAUSED', status_reason: 'NONE' });
    // spring_sale was approved by a webhook after that listing began: kept although not listed.
    expect(await templateOf(acme, 'spring_sale')).toMatchObject({ status: 'APPROVED' });

    await replaceTemplates(db, listed, new Date());
    expect(await templateOf(acme, 'welcome')).toMatchObject({ status: 'APPROVED', status_reason: null });
    expect(await templateOf(acme, 'spring_sale')).toBeUndefined();
  });
});
