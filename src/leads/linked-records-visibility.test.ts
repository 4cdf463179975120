import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { tenantHandle } from '../testing/job-context.js';
import { addTestUser } from '../testing/staff-users.js';
import { tenantClient, type TenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

/**
 * What hangs off a lead (notes, timeline, contacts, conversations and their messages and media,
 * emails, meetings) is visible exactly when the lead is: an agent reaches its own lead's, never
 * another agent's (404, as for an absent id); an admin reaches every one. A role that reads every
 * lead but writes only its own is refused (403) a write on another's.
 */
describe('visibility of records linked to leads', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let handle: TenantHandle;
  let agent: TenantClient;
  let admin: TenantClient;
  let readAll: TenantClient;
  const ids = {} as Record<
    | 'leadOne'
    | 'leadTwo'
    | 'contactOne'
    | 'contactTwo'
    | 'convOne'
    | 'convTwo'
    | 'convNone'
    | 'msgOne'
    | 'msgTwo'
    | 'emailTwo'
    | 'meetingOne'
    | 'meetingTwo',
    string
  >;
  const insertId = async (query: { executeTakeFirstOrThrow(): Promise<{ id: string }> }) =>
    (await query.executeTakeFirstOrThrow()).id;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await t.createTenant('linkvis');
    handle = await tenantHandle(t, tenant.tenant.id);
    const key = t.crm(tenant);
    const agentOf = async (name: string) => (await key.post('/agents', { name })).body.data.id as string;
    const one = await agentOf('One');
    const two = await agentOf('Two');
    const leadOf = async (agentId: string, phone: string) => {
      const lead = (await key.post('/leads', { name: 'Linked', phone, assignedAgentId: agentId })).body.data
        .lead;
      expect((await key.patch(`/leads/${lead.id}`, { status: 'qualified' })).status).toBe(200);
      return lead.id as string;
    };
    ids.leadOne = await leadOf(one, '+14155550501');
    ids.leadTwo = await leadOf(two, '+14155550502');
    expect((await key.post(`/leads/${ids.leadTwo}/notes`, { body: 'Secret of two' })).status).toBe(201);
    ids.contactOne = (await key.post(`/leads/${ids.leadOne}/convert`, {})).body.data.contact.id;
    ids.contactTwo = (await key.post(`/leads/${ids.leadTwo}/convert`, {})).body.data.contact.id;

    const conversation = (leadId: string | null, waId: string) =>
      insertId(
        handle.db
          .insertInto('conversations')
          .values({ phone_number_id: '100', wa_id: waId, lead_id: leadId, last_inbound_at: new Date() })
          .returning('id'),
      );
    ids.convOne = await conversation(ids.leadOne, '14155550501');
    ids.convTwo = await conversation(ids.leadTwo, '14155550502');
    ids.convNone = await conversation(null, '14155550509');
    const message = (conversationId: string) =>
      insertId(
        handle.db
          .insertInto('messages')
          .values({
            conversation_id: conversationId,
            direction: 'inbound',
            type: 'image',
            body: 'a photo',
            content: JSON.stringify({}),
            status: 'received',
          } as never)
          .returning('id'),
      );
    ids.msgOne = await message(ids.convOne);
    ids.msgTwo = await message(ids.convTwo);
    ids.emailTwo = await insertId(
      handle.db
        .insertInto('email_messages')
        .values({ to_address: 'two@example.test', lead_id: ids.leadTwo, template_id: null } as never)
        .returning('id'),
    );
    const meeting = (leadId: string) =>
      insertId(
        handle.db
          .insertInto('meetings')
          .values({
            lead_id: leadId,
            title: 'Demo',
            start_at: new Date('2030-01-01T10:00:00Z'),
            end_at: new Date('2030-01-01T11:00:00Z'),
            attendees: JSON.stringify([]),
            calendar_id: null,
            calendar_event_id: null,
            html_link: null,
            hangout_link: null,
            entry_points: null,
            error: null,
          })
          .returning('id'),
      );
    ids.meetingOne = await meeting(ids.leadOne);
    ids.meetingTwo = await meeting(ids.leadTwo);

    // A custom role reading every lead but writing only its own (it has no agent: none).
    await handle.db
      .insertInto('roles')
      .values({ key: 'reads_all', name: 'Reads all', grants: ['leads.read:all', 'leads.write:own'] } as never)
      .execute();
    const asAgent = await addTestUser(t, tenant, { role: 'agent', agentId: one });
    const asAdmin = await addTestUser(t, tenant, { role: 'admin' });
    const asReader = await addTestUser(t, tenant, { role: 'reads_all' });
    agent = tenantClient(t.request, '/api/crm', asAgent.headers);
    admin = tenantClient(t.request, '/api/crm', asAdmin.headers);
    readAll = tenantClient(t.request, '/api/crm', asReader.headers);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("notes and the timeline: an agent's own lead's, never another's", async () => {
    expect((await agent.get(`/leads/${ids.leadTwo}/notes`)).status).toBe(404);
    expect((await agent.get(`/leads/${ids.leadTwo}/activity`)).status).toBe(404);
    expect((await agent.post(`/leads/${ids.leadTwo}/notes`, { body: 'mine now' })).status).toBe(404);
    expect((await agent.get(`/leads/${ids.leadOne}/notes`)).status).toBe(200);
    expect((await agent.get(`/leads/${ids.leadOne}/activity`)).status).toBe(200);
    expect((await agent.post(`/leads/${ids.leadOne}/notes`, { body: 'called' })).status).toBe(201);

    const notes = await admin.get(`/leads/${ids.leadTwo}/notes`);
    expect(notes.status).toBe(200);
    expect(notes.body.data.items.map((note: { body: string }) => note.body)).toEqual(['Secret of two']);
    expect((await admin.get(`/leads/${ids.leadTwo}/activity`)).status).toBe(200);
    // Reads every lead, writes only its own (none): sees the notes, may not add one.
    expect((await readAll.get(`/leads/${ids.leadTwo}/notes`)).status).toBe(200);
    const refused = await readAll.post(`/leads/${ids.leadTwo}/notes`, { body: 'no' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
  });

  it('contacts: listed, read, changed and deleted only through a visible lead', async () => {
    const listed = await agent.get('/contacts');
    expect(listed.status).toBe(200);
    expect(listed.body.data.items.map((contact: { id: string }) => contact.id)).toEqual([ids.contactOne]);
    expect(listed.body.data.total).toBe(1);
    expect((await agent.get(`/contacts/${ids.contactTwo}`)).status).toBe(404);
    expect((await agent.patch(`/contacts/${ids.contactTwo}`, { company: 'Taken' })).status).toBe(404);
    expect((await agent.delete(`/contacts/${ids.contactTwo}`)).status).toBe(404);
    expect((await agent.post(`/leads/${ids.leadTwo}/convert`, {})).status).toBe(404);
    expect((await agent.get(`/contacts/${ids.contactOne}`)).status).toBe(200);
    expect((await agent.patch(`/contacts/${ids.contactOne}`, { company: 'Mine' })).status).toBe(200);
    expect((await readAll.patch(`/contacts/${ids.contactTwo}`, { company: 'No' })).status).toBe(403);

    const all = await admin.get('/contacts');
    expect(new Set(all.body.data.items.map((contact: { id: string }) => contact.id))).toEqual(
      new Set([ids.contactOne, ids.contactTwo]),
    );
    expect((await admin.get(`/contacts/${ids.contactTwo}`)).status).toBe(200);
  });

  it('conversations, their messages and media: those of a visible lead; of no lead, scope all only', async () => {
    const listed = await agent.get('/conversations');
    expect(listed.status).toBe(200);
    expect(listed.body.data.items.map((conversation: { id: string }) => conversation.id)).toEqual([
      ids.convOne,
    ]);
    expect((await agent.get(`/conversations/${ids.convTwo}/messages`)).status).toBe(404);
    expect((await agent.get(`/conversations/${ids.convNone}/messages`)).status).toBe(404);
    expect((await agent.post(`/conversations/${ids.convTwo}/read`, {})).status).toBe(404);
    expect(
      (await agent.post(`/conversations/${ids.convTwo}/messages`, { type: 'text', text: 'hi' })).status,
    ).toBe(404);
    expect((await agent.get(`/messages/${ids.msgTwo}/media`)).status).toBe(404);
    const own = await agent.get(`/conversations/${ids.convOne}/messages`);
    expect(own.body.data.items.map((message: { id: string }) => message.id)).toEqual([ids.msgOne]);
    expect((await agent.post(`/conversations/${ids.convOne}/read`, {})).status).toBe(200);
    // Found, but its media is not stored: the refusal says so, not "no such message".
    expect((await agent.get(`/messages/${ids.msgOne}/media`)).body.error.code).toBe('media_not_available');
    expect((await readAll.post(`/conversations/${ids.convTwo}/read`, {})).status).toBe(403);

    const all = await admin.get('/conversations');
    expect(new Set(all.body.data.items.map((conversation: { id: string }) => conversation.id))).toEqual(
      new Set([ids.convOne, ids.convTwo, ids.convNone]),
    );
    expect((await admin.get(`/conversations/${ids.convTwo}/messages`)).status).toBe(200);
    expect((await admin.get(`/messages/${ids.msgTwo}/media`)).body.error.code).toBe('media_not_available');
  });

  it('emails and meetings: read and created only for a visible lead', async () => {
    expect((await agent.get(`/email/messages/${ids.emailTwo}`)).status).toBe(404);
    expect((await admin.get(`/email/messages/${ids.emailTwo}`)).status).toBe(200);
    const template = (
      await admin.post('/email/templates', { name: 'Hello', subject: 'Hi', html: '<p>Hi</p>' })
    ).body.data.id;
    const email = (leadId?: string) =>
      agent.post('/email/messages', {
        to: 'x@example.test',
        templateId: template,
        ...(leadId && { leadId }),
      });
    expect((await email(ids.leadTwo)).status).toBe(404);
    expect((await email()).status).toBe(403);
    const mine = await email(ids.leadOne);
    expect(mine.status).toBe(202);
    expect((await agent.get(`/email/messages/${mine.body.data.id}`)).status).toBe(200);

    const listed = await agent.get('/meetings');
    expect(listed.body.data.items.map((meeting: { id: string }) => meeting.id)).toEqual([ids.meetingOne]);
    expect((await agent.get(`/meetings/${ids.meetingTwo}`)).status).toBe(404);
    expect((await agent.get(`/meetings/${ids.meetingOne}`)).status).toBe(200);
    const meeting = (leadId: string) =>
      agent.post('/meetings', {
        leadId,
        title: 'Call',
        start: '2030-02-01T10:00:00Z',
        end: '2030-02-01T10:30:00Z',
        attendees: [],
      });
    expect((await meeting(ids.leadTwo)).status).toBe(404);
    // Its own lead passes the check; the tenant has no Google credentials.
    expect((await meeting(ids.leadOne)).body.error.code).toBe('channel_not_configured');
    const all = await admin.get('/meetings');
    expect(all.body.data.items).toHaveLength(2);
    expect((await admin.get(`/meetings/${ids.meetingTwo}`)).status).toBe(200);
  });
});
