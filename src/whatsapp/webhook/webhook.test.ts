import { webhookClient } from '../testing/webhook-client.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../../queue/job-worker.js';
import { startWorker, waitForIdle } from '../../testing/job-queue.js';
import { FakeGraphApi } from '../../testing/fake-graph-api.js';
import { runJob, tenantHandle } from '../../testing/job-context.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import {
  change,
  everyMessageType,
  inbound,
  metaJson,
  sign,
  signedRequest,
  status,
  testAppSecret,
  webhook,
} from '../testing/meta-payloads.js';
import { downloadMediaJob, processEventJob, sendMessageJob } from '../whatsapp.jobs.js';

const acmeNumber = '1000001';
const globexNumber = '2000002';
const acmeWaba = '102290129340398';
const globexWaba = '102290129340399';
const customer = '34600111222';
const jobs = [processEventJob, downloadMediaJob, sendMessageJob];

describe('WhatsApp webhook', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let acme: TestTenant;
  let globex: TestTenant;
  let worker: JobWorker | undefined;
  let socket: Socket;
  const realtime: { event: string; payload: any }[] = [];

  const { setWhatsApp, post } = webhookClient(() => t);
  const count = async (tenant: TestTenant, table: 'whatsapp_events' | 'messages' | 'conversations') => {
    const { db } = await tenantHandle(t, tenant.tenant.id);
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const dbOf = async (tenant: TestTenant) => (await tenantHandle(t, tenant.tenant.id)).db;
  const jobCount = async () =>
    Number(
      (
        await t.app.services.platform
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** Runs the processing of the latest stored event directly, while no worker runs. */
  const processLatestEvent = async (tenant: TestTenant) => {
    const event = await (
      await dbOf(tenant)
    )
      .selectFrom('whatsapp_events')
      .select('id')
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    await runJob(t, processEventJob, tenant.tenant.id, { eventId: event.id });
  };

  beforeAll(async () => {
    graph = await new FakeGraphApi('acme-token').start();
    t = await startTestApp({
      META_APP_SECRET: testAppSecret,
      META_GRAPH_URL: graph.baseUrl,
      META_VERIFY_TOKEN: 'platform-verify-token',
      ROLE: 'web',
    });
    worker = await startWorker(t, jobs);
    acme = await t.createTenant('acme');
    globex = await t.createTenant('globex');
    socket = io(t.baseUrl, { auth: { clientCode: 'acme', apiKey: acme.apiKey }, transports: ['websocket'] });
    socket.onAny((event: string, payload: unknown) => realtime.push({ event, payload }));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const base = { graphApiVersion: 'v23.0' };
    expect(
      (
        await setWhatsApp('acme', {
          ...base,
          wabaId: acmeWaba,
          phoneNumberIds: [acmeNumber],
          accessToken: 'acme-token',
          verifyToken: 'acme-verify',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await setWhatsApp('globex', {
          ...base,
          wabaId: globexWaba,
          phoneNumberIds: [globexNumber],
          accessToken: 'globex-token',
          verifyToken: 'globex-verify',
          appSecret: 'globex-own-app-secret',
        })
      ).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await worker?.stop();
    socket?.disconnect();
    await t?.close();
    await graph?.close();
  });

  it('refuses a phone number that belongs to another tenant, changing nothing', async () => {
    const res = await setWhatsApp('globex', {
      wabaId: 'x',
      phoneNumberIds: [globexNumber, acmeNumber],
      accessToken: 'changed-token',
      verifyToken: 'globex-verify',
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'conflict', details: { phoneNumberIds: [acmeNumber] } });
    const secret = await t.app.services.secrets.read(globex.tenant.id, 'whatsapp');
    expect(secret?.accessToken).toBe('globex-token');
  });

  it('answers the verification challenge only for a known verify token', async () => {
    const verify = (token: string, path = '/api/whatsapp/webhook') =>
      t.request(`${path}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`);
    for (const token of ['platform-verify-token', 'acme-verify', 'globex-verify']) {
      const res = await verify(token);
      expect(res.status).toBe(200);
      expect(res.text).toBe('1158201444');
    }
    expect((await verify('wrong')).status).toBe(403);
    expect((await verify('acme-verify', '/api/whatsapp/webhook/acme')).text).toBe('1158201444');
    expect((await verify('globex-verify', '/api/whatsapp/webhook/acme')).status).toBe(403);
    expect(
      (
        await t.request(
          '/api/whatsapp/webhook?hub.mode=unsubscribe&hub.verify_token=acme-verify&hub.challenge=1',
        )
      ).status,
    ).toBe(403);
  });

  it('answers 401 and stores nothing for a missing or wrong signature', async () => {
    const payload = webhook({
      changes: [
        change({
          phoneNumberId: acmeNumber,
          messages: [inbound('wamid.BAD', customer, 'text', { text: { body: 'x' } })],
        }),
      ],
    });
    const body = metaJson(payload);
    const before = await jobCount();
    const attempts: Record<string, string>[] = [
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, 'not-the-secret') },
      {
        'content-type': 'application/json',
        'x-hub-signature-256': sign(JSON.stringify(JSON.parse(body)) + ' '),
      },
    ];
    for (const headers of attempts) {
      const res = await t.request('/api/whatsapp/webhook', { method: 'POST', headers, body });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_signature');
    }
    expect(await count(acme, 'whatsapp_events')).toBe(0);
    expect(await jobCount()).toBe(before);
  });

  it('answers an unknown tenant path exactly like a known one with a wrong signature', async () => {
    const body = metaJson(webhook({ changes: [change({ phoneNumberId: acmeNumber, messages: [] })] }));
    const attempt = async (path: string, signature?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (signature) headers['x-hub-signature-256'] = signature;
      const res = await t.request(`/api/whatsapp/webhook/${path}`, { method: 'POST', headers, body });
      return { status: res.status, body: res.body };
    };
    const known = await attempt('acme', sign(body, 'not-the-secret'));
    expect(known.status).toBe(401);
    expect(known.body.error.code).toBe('invalid_signature');
    // Even a delivery signed with the platform's app secret learns nothing on an unknown path.
    for (const signature of [undefined, sign(body, 'not-the-secret'), sign(body)]) {
      expect(await attempt('nosuchtenant', signature)).toEqual(known);
    }
  });

  it('stores every inbound message type once, even when Meta delivers the batch twice, and fetches media', async () => {
    const media: Record<string, { id: string; sha256: string }> = {};
    for (const [type, mime] of [
      ['image', 'image/jpeg'],
      ['document', 'application/pdf'],
      ['audio', 'audio/ogg'],
      ['video', 'video/mp4'],
      ['sticker', 'image/webp'],
    ] as const) {
      const id = `${type}-media-${randomBytes(3).toString('hex')}`;
      media[type] = { id, sha256: graph.addMedia(id, randomBytes(5000), mime) };
    }
    const payload = webhook({
      changes: [
        change({
          phoneNumberId: acmeNumber,
          messages: everyMessageType(customer, media),
          contactName: 'Kerry Fisher',
        }),
      ],
    });
    graph.expiredDownloads = 1;
    for (let delivery = 0; delivery < 2; delivery++) {
      const res = await post(payload);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ events: 1, unknownPhoneNumberIds: [], unknownWabaIds: [] });
    }
    const done = await waitForIdle(t, acme.tenant.id);
    expect(done.filter((job) => job.status !== 'succeeded')).toEqual([]);
    expect(done.filter((job) => job.kind === 'whatsapp.process_event')).toHaveLength(2);
    expect(done.filter((job) => job.kind === 'whatsapp.download_media')).toHaveLength(5);

    const db = await dbOf(acme);
    const messages = await db.selectFrom('messages').selectAll().orderBy('wamid').execute();
    expect(messages).toHaveLength(12);
    await expect.poll(() => realtime.filter((r) => r.event === 'message.received').length).toBe(12);
    expect(realtime.find((r) => r.event === 'message.received')?.payload).toMatchObject({
      conversationId: expect.any(String),
      messageId: expect.any(String),
    });
    const byWamid = Object.fromEntries(messages.map((m) => [m.wamid, m]));
    expect(byWamid['wamid.TEXT']).toMatchObject({
      type: 'text',
      body: 'Hola, ¿tienen envío? 👋',
      direction: 'inbound',
    });
    expect(byWamid['wamid.VOICE']).toMatchObject({ type: 'voice' });
    expect(byWamid['wamid.LOCATION']!.body).toContain('Gran Vía 1, Madrid');
    expect(byWamid['wamid.CONTACTS']!.body).toBe('Ana García');
    expect(byWamid['wamid.BUTTONREPLY']!.body).toBe('Yes, call me');
    expect(byWamid['wamid.LISTREPLY']!.body).toBe('Pro plan');
    expect(byWamid['wamid.QUICKREPLY']).toMatchObject({ type: 'button', body: 'Book a demo' });
    expect(byWamid['wamid.REACTION']).toMatchObject({ type: 'reaction', body: '👍' });
    expect(byWamid['wamid.DOCUMENT']!.media_key).toBe(
      `tenants/acme/whatsapp/${byWamid['wamid.DOCUMENT']!.id}/invoice_2026.pdf`,
    );
    for (const wamid of ['wamid.IMAGE', 'wamid.DOCUMENT', 'wamid.VOICE', 'wamid.VIDEO', 'wamid.STICKER']) {
      const key = byWamid[wamid]!.media_key!;
      const stored = await t.app.services.storage.get(key);
      expect(stored?.length).toBe(5000);
    }

    const list = await t.crm(acme).get('/conversations');
    expect(list.status).toBe(200);
    expect(list.body.data.items).toHaveLength(1);
    expect(list.body.data.items[0]).toMatchObject({
      waId: customer,
      contactName: 'Kerry Fisher',
      unreadCount: 12,
      leadId: expect.any(String),
    });
    expect(list.body.data.items[0].lastMessage).not.toBeNull();

    const image = byWamid['wamid.IMAGE']!;
    const link = await t.crm(acme).get(`/messages/${image.id}/media`);
    expect(link.status).toBe(200);
    const download = await t.request(link.body.data.url);
    expect(download.status).toBe(200);
    expect(Buffer.from(download.text, 'latin1').length).toBeGreaterThan(0);
    const text = byWamid['wamid.TEXT']!;
    expect((await t.crm(acme).get(`/messages/${text.id}/media`)).body.error.code).toBe('media_not_available');
    // Another tenant cannot see acme's messages.
    expect((await t.crm(globex).get(`/messages/${image.id}/media`)).status).toBe(404);

    const conversationId = list.body.data.items[0].id;
    const page1 = await t.crm(acme).get(`/conversations/${conversationId}/messages?limit=5`);
    expect(page1.body.data.items).toHaveLength(5);
    const page2 = await t
      .crm(acme)
      .get(`/conversations/${conversationId}/messages?limit=10&cursor=${page1.body.data.nextCursor}`);
    expect(page2.body.data.items).toHaveLength(7);
    expect(page2.body.data.nextCursor).toBeNull();
    const ids = new Set(
      [...page1.body.data.items, ...page2.body.data.items].map((m: { id: string }) => m.id),
    );
    expect(ids.size).toBe(12);

    const read = await t.crm(acme).post(`/conversations/${conversationId}/read`);
    expect(read.body.data.unreadCount).toBe(0);
  });

  it("processes a job's events in order, skips those already processed, and refuses a missing one", async () => {
    const db = await dbOf(acme);
    const done = await db
      .selectFrom('whatsapp_events')
      .select(['id', 'processed_at'])
      .where('processed_at', 'is not', null)
      .executeTakeFirstOrThrow();
    const fresh = await db
      .insertInto('whatsapp_events')
      .values({
        payload: JSON.stringify({
          changes: [
            change({
              phoneNumberId: acmeNumber,
              messages: [inbound('wamid.batch-1', '34600999888', 'text', { text: { body: 'one' } })],
            }),
          ],
        }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const missing = randomUUID();

    const run = runJob(t, processEventJob, acme.tenant.id, { eventIds: [fresh.id, done.id, missing] });
    await expect(run).rejects.toMatchObject({
      name: 'PermanentJobError',
      message: expect.stringContaining(missing),
    });
    const events = await db.selectFrom('whatsapp_events').select(['id', 'processed_at']).execute();
    expect(events.find((event) => event.id === done.id)?.processed_at).toEqual(done.processed_at);
    expect(events.find((event) => event.id === fresh.id)?.processed_at).toBeInstanceOf(Date);
    const stored = await db
      .selectFrom('messages')
      .select('body')
      .where('wamid', '=', 'wamid.batch-1')
      .execute();
    expect(stored).toHaveLength(1);
  });

  it('splits a batch across tenants, acknowledges unknown numbers, and checks tenant app secrets', async () => {
    const payload = webhook(
      {
        changes: [
          change({
            phoneNumberId: acmeNumber,
            messages: [inbound('wamid.SPLIT.A', '111', 'text', { text: { body: 'to acme' } })],
          }),
        ],
      },
      {
        wabaId: '999',
        changes: [
          change({
            phoneNumberId: globexNumber,
            messages: [inbound('wamid.SPLIT.G', '222', 'text', { text: { body: 'to globex' } })],
          }),
          change({
            phoneNumberId: '9999999',
            messages: [inbound('wamid.SPLIT.X', '333', 'text', { text: { body: 'nobody' } })],
          }),
        ],
      },
    );
    const res = await post(payload);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ events: 2, unknownPhoneNumberIds: ['9999999'], unknownWabaIds: [] });
    expect(
      t.logs.some(
        (line) => line.msg === 'whatsapp webhook changes with no tenant route were acknowledged and dropped',
      ),
    ).toBe(true);
    await waitForIdle(t, acme.tenant.id);
    await waitForIdle(t, globex.tenant.id);
    const globexDb = await dbOf(globex);
    expect((await globexDb.selectFrom('messages').select('body').execute()).map((m) => m.body)).toEqual([
      'to globex',
    ]);
    const acmeDb = await dbOf(acme);
    expect(
      await acmeDb
        .selectFrom('messages')
        .select('id')
        .where('wamid', '=', 'wamid.SPLIT.A')
        .executeTakeFirst(),
    ).toBeTruthy();
    expect(
      await acmeDb
        .selectFrom('messages')
        .select('id')
        .where('wamid', 'in', ['wamid.SPLIT.G', 'wamid.SPLIT.X'])
        .execute(),
    ).toEqual([]);

    // A tenant with its own app signs with its own secret on its own path.
    const own = webhook({
      changes: [
        change({
          phoneNumberId: globexNumber,
          messages: [inbound('wamid.OWN', '222', 'text', { text: { body: 'own app' } })],
        }),
      ],
    });
    expect((await post(own, '/api/whatsapp/webhook/globex')).status).toBe(401);
    const accepted = await post(own, '/api/whatsapp/webhook/globex', 'globex-own-app-secret');
    expect(accepted.status).toBe(200);
    expect(accepted.body.data.events).toBe(1);
    // Its own path never routes another tenant's number.
    const foreign = webhook({
      changes: [
        change({
          phoneNumberId: acmeNumber,
          messages: [inbound('wamid.FOREIGN', '1', 'text', { text: { body: 'x' } })],
        }),
      ],
    });
    expect((await post(foreign, '/api/whatsapp/webhook/globex', 'globex-own-app-secret')).body.data).toEqual({
      events: 0,
      unknownPhoneNumberIds: [acmeNumber],
      unknownWabaIds: [],
    });
  });

  it('applies statuses monotonically, keeps a status that arrives before its message, records failures and system errors', async () => {
    await waitForIdle(t, acme.tenant.id);
    const db = await dbOf(acme);
    const conversation = await db
      .selectFrom('conversations')
      .select('id')
      .where('wa_id', '=', customer)
      .executeTakeFirstOrThrow();
    const sendText = (text: string) =>
      t.crm(acme).post(`/conversations/${conversation.id}/messages`, { type: 'text', text });
    // The fake API numbers its wamids: this send will get wamid.SENT1. Its 'read' is processed
    // (directly, the worker stopped) before the send job runs.
    await worker!.stop();
    const first = await sendText('We ship tomorrow');
    expect(first.status).toBe(202);
    expect(first.body.data.status).toBe('queued');
    const firstId = first.body.data.id as string;

    await post(
      webhook({
        changes: [change({ phoneNumberId: acmeNumber, statuses: [status('wamid.SENT1', 'read', customer)] })],
      }),
    );
    await processLatestEvent(acme);
    const db2 = await dbOf(acme);
    expect(await db2.selectFrom('whatsapp_pending_statuses').select(['wamid', 'status']).execute()).toEqual([
      { wamid: 'wamid.SENT1', status: 'read' },
    ]);
    worker = await startWorker(t, jobs);
    await waitForIdle(t, acme.tenant.id);
    expect(await db2.selectFrom('whatsapp_pending_statuses').select('wamid').execute()).toEqual([]);
    const sentRequest = graph.requests.find((request) => request.method === 'POST');
    expect(sentRequest?.body).toMatchObject({
      messaging_product: 'whatsapp',
      to: customer,
      type: 'text',
      text: { body: 'We ship tomorrow' },
      biz_opaque_callback_data: firstId,
    });
    const afterSend = await db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', firstId)
      .executeTakeFirstOrThrow();
    expect(afterSend).toMatchObject({ wamid: 'wamid.SENT1', status: 'read' });
    await expect
      .poll(
        () => realtime.find((r) => r.event === 'message.status' && r.payload.messageId === firstId)?.payload,
      )
      .toMatchObject({ status: 'read', conversationId: conversation.id });

    // Late 'sent' and 'delivered' never downgrade 'read'; duplicates change nothing.
    await post(
      webhook({
        changes: [
          change({
            phoneNumberId: acmeNumber,
            statuses: [status('wamid.SENT1', 'sent', customer), status('wamid.SENT1', 'delivered', customer)],
          }),
        ],
      }),
    );
    await waitForIdle(t, acme.tenant.id);
    const statusOfFirst = async () =>
      (await db.selectFrom('messages').select('status').where('id', '=', firstId).executeTakeFirstOrThrow())
        .status;
    expect(await statusOfFirst()).toBe('read');
    // A voice message's 'played' comes after 'read', and a late 'read' does not undo it.
    for (const value of ['played', 'read'] as const) {
      await post(
        webhook({
          changes: [
            change({ phoneNumberId: acmeNumber, statuses: [status('wamid.SENT1', value, customer)] }),
          ],
        }),
      );
      await waitForIdle(t, acme.tenant.id);
      expect(await statusOfFirst()).toBe('played');
    }

    const second = await sendText('Are you there?');
    await waitForIdle(t, acme.tenant.id);
    await post(
      webhook({
        changes: [
          change({
            phoneNumberId: acmeNumber,
            statuses: [status('wamid.SENT2', 'sent', customer), status('wamid.SENT2', 'failed', customer)],
            errors: [
              {
                code: 131000,
                title: 'Something went wrong',
                message: 'Something went wrong',
                error_data: { details: 'x' },
              },
            ],
          }),
        ],
      }),
    );
    await waitForIdle(t, acme.tenant.id);
    const failed = await db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', second.body.data.id)
      .executeTakeFirstOrThrow();
    expect(failed.status).toBe('failed');
    expect(failed.errors).toMatchObject([{ code: 131026, title: 'Message undeliverable' }]);
    const systemErrors = await db.selectFrom('whatsapp_errors').selectAll().execute();
    expect(systemErrors).toMatchObject([
      { code: 131000, title: 'Something went wrong', phone_number_id: acmeNumber },
    ]);

    // A status for a message we never saw is kept, not an error.
    await post(
      webhook({
        changes: [
          change({ phoneNumberId: acmeNumber, statuses: [status('wamid.ELSEWHERE', 'delivered', customer)] }),
        ],
      }),
    );
    const settled = await waitForIdle(t, acme.tenant.id);
    expect(settled.filter((job) => job.status !== 'succeeded')).toEqual([]);
    expect(
      await db
        .selectFrom('whatsapp_pending_statuses')
        .select('status')
        .where('wamid', '=', 'wamid.ELSEWHERE')
        .execute(),
    ).toEqual([{ status: 'delivered' }]);

    // A status carrying our id in biz_opaque_callback_data finds a message whose send job has not stored the wamid yet.
    await worker!.stop();
    const third = await sendText('Opaque');
    await post(
      webhook({
        changes: [
          change({
            phoneNumberId: acmeNumber,
            statuses: [
              status('wamid.EARLY', 'delivered', customer, { biz_opaque_callback_data: third.body.data.id }),
            ],
          }),
        ],
      }),
    );
    await processLatestEvent(acme);
    expect(
      await db
        .selectFrom('messages')
        .select(['wamid', 'status'])
        .where('id', '=', third.body.data.id)
        .executeTakeFirst(),
    ).toEqual({
      wamid: 'wamid.EARLY',
      status: 'delivered',
    });
    worker = await startWorker(t, jobs);
    await waitForIdle(t, acme.tenant.id);
    expect(
      await db
        .selectFrom('messages')
        .select(['wamid', 'status'])
        .where('id', '=', third.body.data.id)
        .executeTakeFirst(),
    ).toEqual({
      wamid: 'wamid.EARLY',
      status: 'delivered',
    });
  });

  it('refuses a signed delivery nested deeper than HTTP_JSON_MAX_DEPTH with 400 invalid_json, not a 500', async () => {
    for (const deep of ['['.repeat(5000) + ']'.repeat(5000), '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)]) {
      const body = `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"${acmeNumber}"},"contacts":[{"profile":${deep},"wa_id":"1"}],"messages":[]}}]}]}`;
      for (const path of ['/api/whatsapp/webhook', '/api/whatsapp/webhook/acme']) {
        const res = await t.request(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) },
          body,
        });
        expect(res.status, path).toBe(400);
        expect(res.body.error.code).toBe('invalid_json');
      }
    }
  });

  it('accepts a 3 MB batch and refuses a bigger one with 413', async () => {
    const filler = 'x'.repeat(2910);
    const messages = Array.from({ length: 1000 }, (_, i) =>
      inbound(`wamid.BIG${i}`, '555', 'text', { text: { body: filler } }),
    );
    const payload = webhook({ changes: [change({ phoneNumberId: acmeNumber, messages })] });
    const { body, headers } = signedRequest(payload);
    expect(body.length).toBeGreaterThan(3_000_000);
    expect(body.length).toBeLessThanOrEqual(3 * 1024 * 1024);
    // The refusal first: the long drain below outlasts the server's keep-alive timeout.
    const tooBig = body.replace(filler, filler + 'y'.repeat(200_000));
    const refused = await t.request('/api/whatsapp/webhook', {
      method: 'POST',
      headers: { ...headers, 'x-hub-signature-256': sign(tooBig) },
      body: tooBig,
    });
    expect(refused.status).toBe(413);
    expect(refused.body.error.code).toBe('payload_too_large');

    const res = await t.request('/api/whatsapp/webhook', { method: 'POST', headers, body });
    expect(res.status).toBe(200);
    await waitForIdle(t, acme.tenant.id);
    expect(await count(acme, 'messages')).toBeGreaterThanOrEqual(1000);
  });
});
