import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TenantDb } from '../db/tenant-database.js';
import { jobRow } from '../testing/job-queue.js';
import { runJob, tenantHandle } from '../testing/job-context.js';
import { pdfText } from '../testing/pdf-text.js';
import { bruteForceTotal, randomQuotation } from '../testing/quotation-random.js';
import { seededDraws as seeded } from '../testing/seeded-random.js';
import { addDeal, addDealPipeline, type TestPipeline } from '../testing/quotation-fixtures.js';
import { startSmtpSink } from '../testing/smtp-sink.js';
import { addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { expireAllQuotations } from './quotations.cron.js';
import { sendQuotationJobDefinition } from './quotations.jobs.js';

const line = (overrides: Record<string, unknown> = {}) => ({
  name: 'Widget',
  sku: 'W-1',
  quantity: 3,
  unitPrice: 1999,
  discountPercent: 10,
  taxPercent: 21,
  ...overrides,
});

describe('quotations', () => {
  let t: TestApp;
  let acme: TestTenant;
  let other: TestTenant;
  let key: TenantClient;
  let db: TenantDb;
  let pipeline: TestPipeline;
  let winning: TestPipeline;
  let agents: { A: string; B: string };
  let asAgentA: TenantClient;
  let asAgentB: TenantClient;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;

  const newDeal = (options: Parameters<typeof addDeal>[2] = {}, into = pipeline) =>
    addDeal(db, into, { ownerAgentId: agents.A, ...options });
  const newQuotation = async (dealId: string, body: Record<string, unknown> = {}) =>
    dataOf(await key.post(`/deals/${dealId}/quotations`, { lines: [line()], ...body }), 201);

  beforeAll(async () => {
    smtp = await startSmtpSink({ user: 'mailer', password: 'secret' });
    t = await startTestApp({ ROLE: 'web' });
    acme = await t.createTenant('acme');
    other = await t.createTenant('other');
    key = t.crm(acme);
    db = (await tenantHandle(t, acme.tenant.id)).db;
    agents = {
      A: dataOf(await key.post('/agents', { name: 'Agent A' }), 201).id,
      B: dataOf(await key.post('/agents', { name: 'Agent B' }), 201).id,
    };
    const userA = await addTestUser(t, acme, { role: 'agent', agentId: agents.A });
    const userB = await addTestUser(t, acme, { role: 'agent', agentId: agents.B });
    asAgentA = tenantClient(t.request, '/api/crm', userA.headers);
    asAgentB = tenantClient(t.request, '/api/crm', userB.headers);
    pipeline = await addDealPipeline(db, { name: 'Plain' });
    winning = await addDealPipeline(db, { name: 'Wins on acceptance', winOnQuotationAccepted: true });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('computes totals on the server, as the brute force does, in the deal currency', async () => {
    const deal = await newDeal({ currency: 'JPY' });
    const created = await newQuotation(deal.id, { payment: { type: 'partial', prepaidAmount: 1000 } });
    // 3 × 1999 = 5997; 10 % = 599.7 → 600; net 5397; 21 % = 1133.37 → 1133; total 6530.
    expect(created).toMatchObject({
      ref: expect.stringMatching(/^Q-\d+$/),
      dealId: deal.id,
      dealRef: deal.ref,
      status: 'draft',
      currency: 'JPY',
      currentVersion: 1,
      current: {
        version: 1,
        subtotal: 5997,
        discountTotal: 600,
        taxTotal: 1133,
        total: 6530,
        payment: { type: 'partial', prepaidAmount: 1000, codAmount: 5530 },
        lines: [{ gross: 5997, discount: 600, net: 5397, tax: 1133, total: 6530, discountPercent: 10 }],
      },
    });
    const rng = seeded(2026);
    for (let n = 0; n < 25; n++) {
      const { lines } = randomQuotation(rng);
      const expected = bruteForceTotal(lines);
      const res = await key.post(`/deals/${deal.ref}/quotations`, { lines, payment: { type: 'cod' } });
      if (expected > BigInt(Number.MAX_SAFE_INTEGER)) {
        expect(res.status, res.text).toBe(400);
        continue;
      }
      const { current } = dataOf(res, 201);
      expect(BigInt(current.total)).toBe(expected);
      expect(current.payment).toEqual({ type: 'cod', prepaidAmount: 0, codAmount: current.total });
    }
    // A client total must match.
    expect((await key.post(`/deals/${deal.id}/quotations`, { lines: [line()], total: 6530 })).status).toBe(
      201,
    );
    const wrong = await key.post(`/deals/${deal.id}/quotations`, { lines: [line()], total: 6531 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details).toEqual([expect.objectContaining({ path: 'body.total' })]);
    const list = dataOf(await key.get(`/deals/${deal.id}/quotations?limit=2`));
    expect(list.items).toHaveLength(2);
    expect(list.nextCursor).toEqual(expect.any(String));
  });

  it('refuses invalid input with a 400 envelope, never a 500', async () => {
    const deal = await newDeal();
    const cases: [string, unknown][] = [
      ['unknown field', { lines: [line()], colour: 'red' }],
      ['unknown line field', { lines: [line({ colour: 'red' })] }],
      ['negative quantity', { lines: [line({ quantity: -1 })] }],
      ['fractional quantity', { lines: [line({ quantity: 1.5 })] }],
      ['101 % discount', { lines: [line({ discountPercent: 101 })] }],
      ['3-decimal percent', { lines: [line({ taxPercent: 12.345 })] }],
      ['negative price', { lines: [line({ unitPrice: -5 })] }],
      ['no lines', { lines: [] }],
      ['prepaid above total', { lines: [line()], payment: { type: 'partial', prepaidAmount: 6531 } }],
      ['partial without amount', { lines: [line()], payment: { type: 'partial' } }],
      ['prepaid amount on cod', { lines: [line()], payment: { type: 'cod', prepaidAmount: 1 } }],
      ['too large', { lines: [line({ quantity: 1_000_000, unitPrice: Number.MAX_SAFE_INTEGER })] }],
      ['unsafe price', { lines: [line({ unitPrice: 2 ** 60 })] }],
    ];
    for (const [what, body] of cases) {
      const res = await key.post(`/deals/${deal.id}/quotations`, body);
      expect(res.status, `${what}: ${res.text}`).toBe(400);
      expect(res.body.error.code, what).toBe('validation_failed');
    }
    expect(
      (await key.post(`/deals/${deal.id}/quotations`, { lines: [line({ discountPercent: 100 })] })).status,
    ).toBe(201);
    const created = await newQuotation(deal.id);
    expect((await key.patch(`/quotations/${created.id}`, { lines: [line({ quantity: 0 })] })).status).toBe(
      400,
    );
    expect((await key.patch(`/quotations/${created.id}`, { status: 'accepted' })).status).toBe(400);
    expect((await key.get(`/quotations/not-an-id`)).status).toBe(400);
    expect((await key.get(`/quotations/Q-999999`)).status).toBe(404);
    expect((await key.post(`/deals/D-999999/quotations`, { lines: [line()] })).status).toBe(404);
  });

  it('edits a draft in place, and a shared quotation as a new version (the old one unchanged)', async () => {
    const deal = await newDeal();
    const created = await newQuotation(deal.id, { notes: 'first' });
    const edited = dataOf(await key.patch(`/quotations/${created.ref}`, { lines: [line({ quantity: 1 })] }));
    expect(edited).toMatchObject({
      currentVersion: 1,
      status: 'draft',
      current: { total: 2177, notes: 'first' },
    });
    expect(dataOf(await key.post(`/quotations/${created.id}/share`)).status).toBe('shared');
    const v1 = dataOf(await key.get(`/quotations/${created.id}/versions/1`));

    const v2 = dataOf(
      await key.patch(`/quotations/${created.id}`, { payment: { type: 'cod' }, terms: 'Net 30' }),
    );
    expect(v2).toMatchObject({
      status: 'draft',
      currentVersion: 2,
      sharedAt: null,
      current: { version: 2, total: 2177, terms: 'Net 30', notes: 'first', payment: { type: 'cod' } },
    });
    expect(dataOf(await key.get(`/quotations/${created.id}/versions/1`))).toEqual({ ...v1, current: false });
    expect(v1).toMatchObject({ version: 1, current: true, terms: null, payment: { type: 'prepaid' } });
    expect(dataOf(await key.get(`/quotations/${created.id}/versions/2`))).toMatchObject({ current: true });
    expect((await key.get(`/quotations/${created.id}/versions/3`)).status).toBe(404);
    // Editing the new draft stays on version 2.
    expect(dataOf(await key.patch(`/quotations/${created.id}`, { notes: 'second' })).currentVersion).toBe(2);
  });

  it('moves through its statuses, refusing the others with 409', async () => {
    const deal = await newDeal();
    const q = await newQuotation(deal.id);
    const post = (action: string) => key.post(`/quotations/${q.id}/${action}`);
    const refused = async (action: string) => {
      const res = await post(action);
      expect(res.status, `${action}: ${res.text}`).toBe(409);
      expect(res.body.error.code).toBe('invalid_status_transition');
    };
    await refused('accept');
    await refused('reject');
    expect(dataOf(await post('share'))).toMatchObject({ status: 'shared', sharedAt: expect.any(String) });
    await refused('share');
    expect(dataOf(await post('reject'))).toMatchObject({
      status: 'rejected',
      rejectedAt: expect.any(String),
    });
    await refused('accept');
    await refused('reject');
    // Editing makes a new draft version, which can be shared and accepted.
    expect(dataOf(await key.patch(`/quotations/${q.id}`, { notes: 'revised' }))).toMatchObject({
      status: 'draft',
      currentVersion: 2,
    });
    await post('share');
    expect(dataOf(await post('accept'))).toMatchObject({
      status: 'accepted',
      acceptedAt: expect.any(String),
    });
    await refused('accept');
    await refused('share');
    // A quotation past its expiry cannot be accepted, even before the cron marks it.
    const late = await newQuotation(deal.id, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await key.post(`/quotations/${late.id}/share`);
    await db
      .updateTable('quotations')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', late.id)
      .execute();
    const res = await key.post(`/quotations/${late.id}/accept`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'invalid_status_transition',
      details: { status: 'expired' },
    });
    expect(dataOf(await key.get(`/quotations/${late.id}`)).status).toBe('shared');
  });

  it("wins the deal on acceptance when the pipeline says so, in the acceptance's transaction", async () => {
    const emitted = vi.spyOn(t.app.services.realtime, 'emitForLead');
    const deal = await newDeal({}, winning);
    const q = await newQuotation(deal.id);
    await key.post(`/quotations/${q.id}/share`);
    emitted.mockClear();
    dataOf(await key.post(`/quotations/${q.id}/accept`));
    const row = await db.selectFrom('deals').selectAll().where('id', '=', deal.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      stage_id: winning.stages.won.id,
      status: 'won',
      close_reason: `quotation ${q.ref} accepted`,
    });
    expect(row.closed_at).toBeInstanceOf(Date);
    const history = await db
      .selectFrom('stage_history')
      .selectAll()
      .where('record_id', '=', deal.id)
      .orderBy('id')
      .execute();
    expect(history.map((entry) => [entry.stage_id, entry.reason])).toEqual([
      [winning.stages.open.id, null],
      [winning.stages.won.id, `quotation ${q.ref} accepted`],
    ]);
    expect(emitted).toHaveBeenCalledWith(
      acme.tenant.id,
      agents.A,
      'quotation.updated',
      expect.objectContaining({ id: q.id, status: 'accepted' }),
    );
    // Won as a move request wins it: its timeline says so and deal.stage_changed goes out.
    const timeline = await db
      .selectFrom('deal_activities')
      .select(['kind', 'data'])
      .where('deal_id', '=', deal.id)
      .where('kind', '=', 'stage_changed')
      .execute();
    expect(timeline).toMatchObject([
      { data: { to: { id: winning.stages.won.id }, reason: `quotation ${q.ref} accepted` } },
    ]);
    expect(emitted).toHaveBeenCalledWith(
      acme.tenant.id,
      agents.A,
      'deal.stage_changed',
      expect.objectContaining({ to: expect.objectContaining({ id: winning.stages.won.id }) }),
    );

    // A plain pipeline: the deal stays where it is.
    const plain = await newDeal();
    const p = await newQuotation(plain.id);
    await key.post(`/quotations/${p.id}/share`);
    await key.post(`/quotations/${p.id}/accept`);
    expect(
      await db
        .selectFrom('deals')
        .select(['stage_id', 'status'])
        .where('id', '=', plain.id)
        .executeTakeFirst(),
    ).toEqual({ stage_id: pipeline.stages.open.id, status: 'open' });
    emitted.mockRestore();
  });

  it("fires quotation_accepted for the deal's lead, with the quotation's variables", async () => {
    const rule = await t.automations(acme).post('/rules', {
      name: 'Tag accepted quotes',
      trigger: 'quotation_accepted',
      actions: [{ type: 'add_tag', tag: 'quote-accepted' }],
    });
    expect(rule.status, rule.text).toBe(201);
    const lead = dataOf(
      await key.post('/leads', { name: 'Buyer', phone: '+14155550999', assign: false }),
      201,
    ).lead;
    const deal = await newDeal({ leadId: lead.id });
    const q = await newQuotation(deal.id);
    await key.post(`/quotations/${q.id}/share`);
    expect(dataOf(await key.post(`/quotations/${q.id}/accept`)).status).toBe('accepted');
    expect(dataOf(await key.get(`/leads/${lead.id}`)).tags).toContain('quote-accepted');
    const event = await db
      .selectFrom('automation_events')
      .selectAll()
      .where('trigger', '=', 'quotation_accepted')
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ lead_id: lead.id });
    expect(event.variables).toMatchObject({
      quotationId: q.id,
      quotationRef: q.ref,
      dealId: deal.id,
      total: 6530,
      currency: 'EUR',
    });
    await t.automations(acme).delete(`/rules/${rule.body.data.id}`);
  });

  it('keeps tenants apart, and an agent to the quotations of their own deals', async () => {
    const deal = await newDeal({ ownerAgentId: agents.A });
    const q = await newQuotation(deal.id);
    const stranger = t.crm(other);
    expect((await stranger.get(`/quotations/${q.id}`)).status).toBe(404);
    expect((await stranger.get(`/quotations/${q.id}/pdf`)).status).toBe(404);
    expect((await stranger.post(`/quotations/${q.id}/share`)).status).toBe(404);
    expect((await stranger.get(`/deals/${deal.id}/quotations`)).status).toBe(404);

    expect((await asAgentA.get(`/quotations/${q.ref}`)).status).toBe(200);
    expect(
      dataOf(await asAgentA.get(`/deals/${deal.id}/quotations`)).items.map((i: { id: string }) => i.id),
    ).toContain(q.id);
    for (const res of [
      await asAgentB.get(`/quotations/${q.ref}`),
      await asAgentB.get(`/quotations/${q.id}/versions/1`),
      await asAgentB.get(`/deals/${deal.id}/quotations`),
      await asAgentB.patch(`/quotations/${q.id}`, { notes: 'mine now' }),
      await asAgentB.post(`/quotations/${q.id}/share`),
      await asAgentB.post(`/deals/${deal.id}/quotations`, { lines: [line()] }),
    ]) {
      expect(res.status, res.text).toBe(404);
    }
    expect(dataOf(await key.get(`/quotations/${q.id}`))).toMatchObject({
      status: 'draft',
      current: { notes: null },
    });
  });

  it('expires shared quotations past their expiry when the cron runs, and only those', async () => {
    const emitted = vi.spyOn(t.app.services.realtime, 'emitForLead');
    const deal = await newDeal();
    const at = new Date(Date.now() + 3_600_000);
    const shared = await newQuotation(deal.id, { expiresAt: at.toISOString() });
    await key.post(`/quotations/${shared.id}/share`);
    const draft = await newQuotation(deal.id, { expiresAt: at.toISOString() });
    const later = await newQuotation(deal.id, { expiresAt: new Date(at.getTime() + 60_000).toISOString() });
    await key.post(`/quotations/${later.id}/share`);

    await expireAllQuotations(t.app.services, new Date(at.getTime() - 1));
    expect(dataOf(await key.get(`/quotations/${shared.id}`)).status).toBe('shared');
    emitted.mockClear();
    await expireAllQuotations(t.app.services, new Date(at.getTime() + 1));
    expect(dataOf(await key.get(`/quotations/${shared.id}`))).toMatchObject({
      status: 'expired',
      expiredAt: new Date(at.getTime() + 1).toISOString(),
    });
    expect(dataOf(await key.get(`/quotations/${draft.id}`)).status).toBe('draft');
    expect(dataOf(await key.get(`/quotations/${later.id}`)).status).toBe('shared');
    expect(
      emitted.mock.calls
        .filter((call) => call[2] === 'quotation.updated')
        .map((call) => (call[3] as { id: string }).id),
    ).toEqual([shared.id]);
    const res = await key.post(`/quotations/${shared.id}/accept`);
    expect(res.body.error.code).toBe('invalid_status_transition');
    emitted.mockRestore();
  });

  it('renders the quotation as a PDF', async () => {
    const deal = await newDeal({ title: 'Forty forklifts' });
    const q = await newQuotation(deal.id, { payment: { type: 'partial', prepaidAmount: 1000 } });
    const res = await fetch(`${t.baseUrl}/api/crm/quotations/${q.ref}/pdf`, { headers: acme.headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/pdf/);
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(pdf);
    expect(text).toContain(`Quotation ${q.ref} (version 1)`);
    expect(text).toContain('Forty forklifts');
    expect(text).toContain('Tenant acme');
    expect(text).toContain('EUR 65.30');
    expect(text).toContain('prepaid EUR 10.00, on delivery EUR 55.30');
    // The OpenAPI document says so too, not the JSON envelope.
    const doc = (await t.request('/api/openapi.json')).body;
    const answer = doc.paths['/api/crm/quotations/{id}/pdf'].get.responses['200'].content;
    expect(Object.keys(answer)).toEqual(['application/pdf']);
  });

  it('sends the PDF by email through the tenant SMTP settings, sharing a draft', async () => {
    const deal = await newDeal();
    const q = await newQuotation(deal.id);
    const missing = await key.post(`/quotations/${q.id}/send`, {
      channel: 'email',
      to: 'buyer@example.test',
    });
    expect(missing.status).toBe(409);
    expect(missing.body.error.code).toBe('channel_not_configured');
    expect(
      (await key.post(`/quotations/${q.id}/send`, { channel: 'fax', to: 'x@example.test' })).status,
    ).toBe(400);
    const secret = await t.request('/api/platform/tenants/acme/secrets/smtp', {
      method: 'PUT',
      headers: { authorization: `Bearer ${testAdminToken}` },
      body: {
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        user: 'mailer',
        password: 'secret',
        fromName: 'Acme Sales',
        fromAddress: 'sales@acme.test',
      },
    });
    expect(secret.status).toBe(200);
    // No address anywhere: 400 naming `to`.
    expect((await key.post(`/quotations/${q.id}/send`, { channel: 'email' })).status).toBe(400);

    const sent = dataOf(
      await key.post(`/quotations/${q.id}/send`, { channel: 'email', to: 'buyer@example.test' }),
      202,
    );
    expect(sent).toMatchObject({
      channel: 'email',
      to: 'buyer@example.test',
      quotation: { status: 'shared' },
    });
    const job = (await jobRow(t, acme.tenant.id, sent.jobId))!;
    expect(job).toMatchObject({ kind: 'quotations.send' });
    expect(await runJob(t, sendQuotationJobDefinition, acme.tenant.id, job.payload as never)).toMatchObject({
      status: 'sent',
    });
    const mail = smtp.received.at(-1)!;
    expect(mail.to).toEqual(['buyer@example.test']);
    expect(mail.raw).toContain(`Subject: Quotation ${q.ref} from Tenant acme`);
    const part = /Content-Type: application\/pdf[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n([A-Za-z0-9+/=\r\n]+)/.exec(
      mail.raw,
    );
    expect(part, 'a PDF attachment').not.toBeNull();
    const pdf = Buffer.from(part![1]!.replace(/\s/g, ''), 'base64');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdfText(pdf)).toContain(`Quotation ${q.ref} (version 1)`);
    expect(pdfText(pdf)).toContain('EUR 65.30');

    // A rejected quotation is not sent (edit it first).
    await key.post(`/quotations/${q.id}/reject`);
    const refused = await key.post(`/quotations/${q.id}/send`, {
      channel: 'email',
      to: 'buyer@example.test',
    });
    expect(refused.status).toBe(409);
  });
});
