import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

describe('leads', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('leadsa', { defaultCountry: 'IN', timezone: 'Asia/Kolkata' });
    b = await t.createTenant('leadsb', { defaultCountry: 'US' });
  });
  afterAll(() => t?.close());

  it('ingests a lead: E.164 phone, LD- reference, score, creation activity', async () => {
    const res = await t.crm(a).post('/leads', {
      name: 'Asha Rani Verma',
      phone: '98765 43210',
      email: 'Asha@Acme.io',
      company: 'Acme',
      source: 'Referral',
      tags: ['hot'],
      assign: false,
    });
    expect(res.status).toBe(201);
    const { lead, duplicate } = res.body.data;
    expect(duplicate).toBe(false);
    expect(lead).toMatchObject({
      firstName: 'Asha Rani',
      lastName: 'Verma',
      phone: '+919876543210',
      email: 'asha@acme.io',
      source: 'referral',
      status: 'new',
      score: 100,
      hot: true,
      assignedAgentId: null,
      unassignedReason: 'assignment_skipped',
    });
    expect(lead.ref).toMatch(/^LD-1\d{5}$/);
    const byRef = await t.crm(a).get(`/leads/${lead.ref}`);
    expect(byRef.body.data.id).toBe(lead.id);
  });

  it('rejects an invalid phone and email with the field', async () => {
    const bad = await t.crm(a).post('/leads', { name: 'X', phone: '12' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details[0].path).toBe('body.phone');
    const badEmail = await t.crm(a).post('/leads', { name: 'X', phone: '9876500000', email: 'nope' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.error.details[0].path).toBe('body.email');
  });

  it('answers a duplicate phone with the existing lead, fills empty fields, logs it', async () => {
    const first = await t.crm(a).post('/leads', { name: 'Ravi', phone: '+91 91234 56789', assign: false });
    const again = await t.crm(a).post('/leads', {
      name: 'Ravi K',
      phone: '9123456789',
      city: 'Pune',
      company: 'Initech',
    });
    expect(again.status).toBe(200);
    expect(again.body.data.duplicate).toBe(true);
    expect(again.body.data.lead).toMatchObject({
      id: first.body.data.lead.id,
      firstName: 'Ravi',
      city: 'Pune',
      company: 'Initech',
    });
    const timeline = await t.crm(a).get(`/leads/${first.body.data.lead.id}/activity`);
    expect(timeline.body.data.items.map((entry: any) => entry.kind)).toEqual(['created', 'duplicate']);
    expect(timeline.body.data.items[1].data.filled).toEqual(expect.arrayContaining(['city', 'company']));
  });

  it('keeps one lead under concurrent duplicate ingests', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.crm(a).post('/leads', { name: 'Same', phone: '9000000001', assign: false }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(19);
    expect(new Set(results.map((r) => r.body.data.lead.id)).size).toBe(1);
  });

  it('tracks every changed field with who and old → new; won is terminal unless reopened', async () => {
    const created = await t.crm(a).post('/leads', { name: 'Meera', phone: '9000000002', assign: false });
    const id = created.body.data.lead.id;
    const changed = await t.crm(a).patch(`/leads/${id}`, { status: 'won', city: 'Goa', company: 'Big Co' });
    expect(changed.status).toBe(200);
    expect(changed.body.data).toMatchObject({ status: 'won', city: 'Goa', score: 60 });
    const blocked = await t.crm(a).patch(`/leads/${id}`, { status: 'contacted' });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.code).toBe('invalid_status_transition');
    const reopened = await t.crm(a).patch(`/leads/${id}`, { status: 'contacted', reopen: true });
    expect(reopened.body.data.status).toBe('contacted');
    const timeline = (await t.crm(a).get(`/leads/${id}/activity`)).body.data.items;
    const changes = timeline.filter((entry: any) => entry.kind === 'field_changed');
    expect(changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: { type: 'api_key', id: expect.any(String), name: 'default' },
          data: { field: 'status', from: 'new', to: 'won' },
        }),
        expect.objectContaining({ data: { field: 'city', from: null, to: 'Goa' } }),
        expect.objectContaining({ data: { field: 'score', from: 50, to: 60 } }),
        expect.objectContaining({ data: { field: 'status', from: 'won', to: 'contacted' } }),
      ]),
    );
  });

  it("answers 404 for another tenant's lead, agent, rule and contact", async () => {
    const lead = (await t.crm(a).post('/leads', { name: 'Private', phone: '9000000003', assign: false })).body
      .data.lead;
    const agent = (await t.crm(a).post('/agents', { name: 'Only A' })).body.data;
    expect((await t.crm(b).get(`/leads/${lead.id}`)).status).toBe(404);
    expect((await t.crm(b).get(`/leads/${lead.ref}`)).status).toBe(404);
    expect((await t.crm(b).patch(`/leads/${lead.id}`, { city: 'X' })).status).toBe(404);
    expect((await t.crm(b).get(`/leads/${lead.id}/activity`)).status).toBe(404);
    expect((await t.crm(b).delete(`/leads/${lead.id}`)).status).toBe(404);
    expect((await t.crm(b).get(`/agents/${agent.id}`)).status).toBe(404);
    const bulk = await t.crm(b).post('/leads/bulk/archive', { ids: [lead.id] });
    expect(bulk.body.data.results[0]).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((await t.crm(a).get(`/leads/${lead.id}`)).body.data.archivedAt).toBeNull();
  });

  it('archives softly (phone freed), deletes hard on request', async () => {
    const lead = (await t.crm(a).post('/leads', { name: 'Gone', phone: '9000000004', assign: false })).body
      .data.lead;
    const archived = await t.crm(a).delete(`/leads/${lead.id}`);
    expect(archived.body.data.archivedAt).toBeTruthy();
    const again = await t.crm(a).post('/leads', { name: 'Back', phone: '9000000004', assign: false });
    expect(again.status).toBe(201);
    const hard = await t.crm(a).delete(`/leads/${lead.id}?hard=true`);
    expect(hard.body.data).toEqual({ id: lead.id, deleted: true });
    expect((await t.crm(a).get(`/leads/${lead.id}`)).status).toBe(404);
  });

  it('keeps notes and merges them into the timeline', async () => {
    const lead = (await t.crm(a).post('/leads', { name: 'Noted', phone: '9000000005', assign: false })).body
      .data.lead;
    const note = await t.crm(a).post(`/leads/${lead.id}/notes`, { body: 'Called, wants a demo' });
    expect(note.status).toBe(201);
    expect(note.body.data).toMatchObject({
      author: 'default',
      authorActor: { type: 'api_key', name: 'default' },
      body: 'Called, wants a demo',
    });
    expect((await t.crm(a).get(`/leads/${lead.id}/notes`)).body.data.items).toHaveLength(1);
    const timeline = (await t.crm(a).get(`/leads/${lead.id}/activity`)).body.data.items;
    expect(timeline.map((entry: any) => entry.type)).toEqual(['activity', 'note']);
    expect((await t.crm(a).post(`/leads/${lead.id}/notes`, { body: '' })).status).toBe(400);
  });

  it('converts a qualified lead into a contact, linked both ways, once', async () => {
    const lead = (await t.crm(a).post('/leads', { name: 'Con Vert', phone: '9000000006', assign: false }))
      .body.data.lead;
    const early = await t.crm(a).post(`/leads/${lead.id}/convert`, {});
    expect(early.status).toBe(409);
    await t.crm(a).patch(`/leads/${lead.id}`, { status: 'qualified' });
    const converted = await t.crm(a).post(`/leads/${lead.id}/convert`, {});
    expect(converted.status).toBe(201);
    const { contact, lead: linked } = converted.body.data;
    expect(contact).toMatchObject({
      leadId: lead.id,
      firstName: 'Con',
      lastName: 'Vert',
      phone: '+919000000006',
    });
    expect(linked.contactId).toBe(contact.id);
    expect((await t.crm(a).post(`/leads/${lead.id}/convert`, {})).status).toBe(409);
    expect((await t.crm(a).get(`/contacts/${contact.id}`)).body.data.leadId).toBe(lead.id);
    const edited = await t.crm(a).patch(`/contacts/${contact.id}`, { notes: 'VIP' });
    expect(edited.body.data.notes).toBe('VIP');
    expect((await t.crm(a).get('/contacts?q=vert')).body.data.total).toBe(1);
    expect((await t.crm(b).get(`/contacts/${contact.id}`)).status).toBe(404);
  });

  it('documents every CRM route in the OpenAPI document', async () => {
    const paths = (await t.request('/api/openapi.json')).body.paths;
    for (const path of [
      '/api/crm/leads',
      '/api/crm/leads/{id}',
      '/api/crm/leads/stats',
      '/api/crm/leads/assign-pending',
      '/api/crm/leads/bulk/status',
      '/api/crm/leads/{id}/notes',
      '/api/crm/leads/{id}/activity',
      '/api/crm/leads/{id}/convert',
      '/api/crm/agents/{id}/availability',
      '/api/crm/assignment-rules/{id}',
      '/api/crm/contacts/{id}',
      '/api/crm/scoring',
    ]) {
      expect(paths[path], path).toBeDefined();
    }
    expect(paths['/api/crm/leads'].get.tags).toEqual(['Leads']);
  });
});
