import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTestUser, type TestUser } from '../testing/staff-users.js';
import { tenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { findTenantByCode } from '../tenancy/tenant-registry.js';

/** Issue 17: PII masking without `pii.read`, erasure of one person, the actor of every entry. */
describe('personal data', () => {
  let t: TestApp;
  let a: TestTenant;
  let viewer: TestUser;
  let admin: TestUser;
  const handleOf = async () =>
    t.app.services.connections.resolve(
      (await findTenantByCode(t.app.services.platform, a.tenant.clientCode))!,
    );
  const as = (user: TestUser) => tenantClient(t.request, '/api/crm', user.headers);

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('piidata');
    viewer = await addTestUser(t, a, { role: 'viewer' });
    admin = await addTestUser(t, a, { role: 'admin', name: 'Ada Admin' });
  });
  afterAll(() => t?.close());

  const ingest = async (body: Record<string, unknown>) => {
    const res = await t.crm(a).post('/leads', { assign: false, ...body });
    expect(res.status).toBe(201);
    return res.body.data.lead;
  };

  it('masks phone numbers and emails for a role without pii.read: list, by id, search, contacts, conversations', async () => {
    const lead = await ingest({
      name: 'Meera Sharma',
      phone: '+919812345678',
      email: 'meera.sharma@example.com',
      status: 'qualified',
    });
    expect((await t.crm(a).post(`/leads/${lead.id}/convert`, {})).status).toBe(201);
    const handle = await handleOf();
    await handle.db
      .insertInto('conversations')
      .values({ phone_number_id: '555000', wa_id: '919812345678', lead_id: lead.id })
      .execute();

    const masked = { phone: '+91••••••5678', email: 'm•••@e•••.com' };
    const list = await as(viewer).get('/leads?limit=50');
    expect(list.status).toBe(200);
    expect(list.body.data.items.find((item: any) => item.id === lead.id)).toMatchObject({
      ...masked,
      name: 'Meera Sharma',
    });
    expect((await as(viewer).get(`/leads/${lead.id}`)).body.data).toMatchObject(masked);
    // Search runs on the full number in SQL: a masked user still finds the lead by it.
    for (const q of ['+919812345678', '9812345678', 'meera.sharma@example.com']) {
      const found = await as(viewer).get(`/leads?q=${encodeURIComponent(q)}`);
      expect(
        found.body.data.items.map((item: any) => item.id),
        q,
      ).toEqual([lead.id]);
      expect(found.body.data.items[0]).toMatchObject(masked);
    }
    const contacts = await as(viewer).get('/contacts');
    const contact = contacts.body.data.items.find((item: any) => item.leadId === lead.id);
    expect(contact).toMatchObject(masked);
    expect((await as(viewer).get(`/contacts/${contact.id}`)).body.data).toMatchObject(masked);
    const conversations = await as(viewer).get('/conversations');
    expect(conversations.body.data.items.find((item: any) => item.leadId === lead.id).waId).toBe(
      '91••••••5678',
    );

    // Nothing of the full values anywhere in the viewer's answers.
    for (const res of [list, contacts, conversations]) {
      expect(res.text).not.toContain('9812345678');
      expect(res.text).not.toContain('meera.sharma');
    }

    // An admin (pii.read) and the API key see them whole.
    const full = { phone: '+919812345678', email: 'meera.sharma@example.com' };
    expect((await as(admin).get(`/leads/${lead.id}`)).body.data).toMatchObject(full);
    expect((await t.crm(a).get(`/leads/${lead.id}`)).body.data).toMatchObject(full);
    expect((await as(admin).get(`/contacts/${contact.id}`)).body.data).toMatchObject(full);
    const adminConversations = await as(admin).get('/conversations');
    expect(adminConversations.body.data.items.find((item: any) => item.leadId === lead.id).waId).toBe(
      '919812345678',
    );
  });

  it('records the actor of every entry: a user (id, name) or an API key (id, label), shown in the timeline', async () => {
    const lead = await ingest({ name: 'Actor Test', phone: '+14155550170' });
    expect((await as(admin).patch(`/leads/${lead.id}`, { status: 'contacted' })).status).toBe(200);
    expect((await as(admin).post(`/leads/${lead.id}/notes`, { body: 'Called back' })).status).toBe(201);
    expect((await t.crm(a).post(`/leads/${lead.id}/notes`, { body: 'Synced' })).status).toBe(201);

    const key = await t.app.services.platform
      .selectFrom('api_keys')
      .select(['id', 'label'])
      .where('tenant_id', '=', a.tenant.id)
      .executeTakeFirstOrThrow();
    const timeline = (await as(admin).get(`/leads/${lead.id}/activity`)).body.data.items;
    const byKey = { type: 'api_key', id: key.id, name: key.label };
    const byAdmin = { type: 'user', id: admin.id, name: 'Ada Admin' };
    expect(timeline.find((entry: any) => entry.kind === 'created').actor).toEqual(byKey);
    expect(timeline.find((entry: any) => entry.kind === 'field_changed').actor).toEqual(byAdmin);
    const notes = timeline.filter((entry: any) => entry.type === 'note');
    expect(notes.map((entry: any) => entry.actor)).toEqual([byAdmin, byKey]);
    const listed = (await as(admin).get(`/leads/${lead.id}/notes`)).body.data.items;
    expect(listed.map((note: any) => note.authorActor)).toEqual([byKey, byAdmin]);
    expect(listed.map((note: any) => note.author)).toEqual([key.label, 'Ada Admin']);
  });

  describe('erasure', () => {
    const person = {
      first: 'Priyanka',
      last: 'Ramaswamy',
      phone: '+919876501234',
      email: 'priyanka.ramaswamy@example.org',
      company: 'Ramaswamy Textiles',
    };
    const needles = [person.first, person.last, '9876501234', person.email, person.company, 'ramaswamy'];

    /** Every row of every text, array, json and tsvector column of the tenant's schema holding one of `needles`. */
    async function findAnywhere(schema: string): Promise<string[]> {
      const handle = await handleOf();
      const columns = await sql<{ table_name: string; column_name: string }>`
        select c.table_name, c.column_name from information_schema.columns c
        join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
        where c.table_schema = ${schema} and tb.table_type = 'BASE TABLE'
          and (c.data_type in ('text', 'character varying', 'json', 'jsonb', 'ARRAY', 'tsvector', 'USER-DEFINED'))`.execute(
        handle.db,
      );
      expect(columns.rows.length).toBeGreaterThan(50);
      const found: string[] = [];
      for (const { table_name: table, column_name: column } of columns.rows) {
        for (const needle of needles) {
          const hit = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, table)}
            where ${sql.ref(column)}::text ilike ${`%${needle}%`}`.execute(handle.db);
          if (hit.rows[0]!.n > 0) found.push(`${table}.${column} ~ ${needle}`);
        }
      }
      return found;
    }

    it("scrubs the person everywhere in the tenant's schema, keeps the status history, records who erased", async () => {
      const lead = await ingest({
        firstName: person.first,
        lastName: person.last,
        phone: person.phone,
        email: 'old.address@example.org',
        company: person.company,
        city: 'Chennai',
        customFields: { spouse: `${person.first}'s husband` },
      });
      const crm = as(admin);
      expect(
        (await crm.patch(`/leads/${lead.id}`, { email: person.email, status: 'qualified' })).status,
      ).toBe(200);
      expect(
        (await crm.post(`/leads/${lead.id}/notes`, { body: `${person.first} asked for a call` })).status,
      ).toBe(201);
      expect((await crm.post(`/leads/${lead.id}/convert`, {})).status).toBe(201);

      // What the channels would have stored for this person: a WhatsApp conversation with text
      // and a stored photo, its raw webhook delivery, an email, a meeting, an automation event.
      const handle = await handleOf();
      const mediaKey = `${a.tenant.clientCode}/media/erase-test.jpg`;
      await t.app.services.storage.put(mediaKey, Buffer.from('photo'), 'image/jpeg');
      const conversation = await handle.db
        .insertInto('conversations')
        .values({
          phone_number_id: '555001',
          wa_id: '919876501234',
          contact_name: `${person.first} ${person.last}`,
          lead_id: lead.id,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await handle.db
        .insertInto('messages')
        .values([
          {
            conversation_id: conversation.id,
            direction: 'inbound',
            type: 'text',
            body: `Hi, ${person.first} here, mail me at ${person.email}`,
            content: JSON.stringify({ text: { body: `Hi, ${person.first} here` } }),
            status: 'received',
          },
          {
            conversation_id: conversation.id,
            direction: 'inbound',
            type: 'image',
            body: null,
            content: JSON.stringify({ image: { caption: person.company } }),
            status: 'received',
            media_id: 'm1',
            media_key: mediaKey,
          },
        ] as any)
        .execute();
      await sql`insert into ${sql.id(handle.schema, 'whatsapp_events')} (payload, processed_at)
        values (${JSON.stringify({ entry: [{ changes: [{ value: { contacts: [{ wa_id: '919876501234', profile: { name: person.first } }] } }] }] })}::jsonb, now())`.execute(
        handle.db,
      );
      await sql`insert into ${sql.id(handle.schema, 'email_messages')} (to_address, lead_id, variables, subject, body_text, status)
        values (${person.email}, ${lead.id}, ${JSON.stringify({ name: person.first })}::jsonb, ${`Hello ${person.first}`}, ${`Dear ${person.first} ${person.last}`}, 'sent')`.execute(
        handle.db,
      );
      await sql`insert into ${sql.id(handle.schema, 'meetings')} (lead_id, title, start_at, end_at, attendees)
        values (${lead.id}, ${`Demo with ${person.first}`}, now(), now() + interval '1 hour', ${JSON.stringify([person.email])}::jsonb)`.execute(
        handle.db,
      );
      await sql`insert into ${sql.id(handle.schema, 'automation_events')} (trigger, source, phone, lead_id, variables)
        values ('lead_created', 'api', ${person.phone}, ${lead.id}, ${JSON.stringify({ company: person.company })}::jsonb)`.execute(
        handle.db,
      );
      expect((await findAnywhere(handle.schema)).length).toBeGreaterThan(10);

      // Without pii.erase: 403; with it but not seeing the lead: 404.
      expect((await as(viewer).post(`/leads/${lead.id}/erase`)).status).toBe(403);
      await handle.db
        .insertInto('roles')
        .values({ key: 'own_eraser', name: 'Own eraser', grants: ['leads.read:own', 'pii.erase'] } as any)
        .execute();
      const ownEraser = await addTestUser(t, a, { role: 'own_eraser' });
      const hidden = await as(ownEraser).post(`/leads/${lead.id}/erase`);
      expect(hidden.status).toBe(404);
      expect(hidden.body.error.code).toBe('not_found');

      const erased = await crm.post(`/leads/${lead.ref}/erase`);
      expect(erased.status).toBe(200);
      expect(erased.body.data).toMatchObject({
        alreadyErased: false,
        lead: { id: lead.id, status: 'qualified', phone: `erased:${lead.ref}`, email: null, name: '' },
        erased: { contacts: 1, conversations: 1, messages: 2, mediaObjects: 1, emailMessages: 1, notes: 1 },
      });

      expect(await findAnywhere(handle.schema)).toEqual([]);
      expect(await t.app.services.storage.get(mediaKey)).toBeNull();

      const timeline = (await crm.get(`/leads/${lead.id}/activity`)).body.data.items;
      expect(timeline.map((entry: any) => entry.kind)).toEqual([
        'created',
        'field_changed',
        'field_changed',
        'note',
        'converted',
        'erased',
      ]);
      expect(timeline.find((entry: any) => entry.data.field === 'status').data).toEqual({
        field: 'status',
        from: 'new',
        to: 'qualified',
      });
      expect(timeline.find((entry: any) => entry.data.field === 'email').data).toEqual({
        field: 'email',
        from: '[erased]',
        to: '[erased]',
      });
      expect(timeline.at(-1).actor).toEqual({ type: 'user', id: admin.id, name: 'Ada Admin' });

      // Again: nothing more to do, no second entry; the phone is free for a new lead.
      const again = await crm.post(`/leads/${lead.id}/erase`);
      expect(again.status).toBe(200);
      expect(again.body.data).toMatchObject({ alreadyErased: true, erased: null });
      expect((await crm.get(`/leads/${lead.id}/activity`)).body.data.items).toHaveLength(6);
      expect((await t.crm(a).post('/leads', { phone: person.phone, assign: false })).status).toBe(201);
    });
  });
});
