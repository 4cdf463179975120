import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../testing/job-context.js';
import { dataOf, type TestResponse } from '../testing/tenant-client.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { nearestName } from './input-contract.js';

/**
 * The input contract (input-contract.ts, README "Input rules"), applied in the one place
 * input is parsed: each class of client mistake is a 400 naming the field, never a 500, on
 * every route, Express and hot routes alike.
 */
describe('input contract', () => {
  let t: TestApp;
  let a: TestTenant;
  let phone = 0;
  const nextPhone = () => `+9198310${String(++phone).padStart(5, '0')}`;
  const platform = (path: string, method: string, body?: unknown) =>
    t.request(`/api/platform${path}`, {
      method,
      headers: { authorization: `Bearer ${testAdminToken}` },
      ...(body === undefined ? {} : { body }),
    });

  const refused = (answer: TestResponse, code: string, paths: string[]) => {
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body).toMatchObject({ success: false, error: { code } });
    const named = (answer.body.error.details as { path: string }[]).map((issue) => issue.path);
    for (const path of paths) expect(named, answer.text).toContain(path);
    return answer.body.error.details as { path: string; message: string }[];
  };

  let leadId: string;
  let agentId: string;
  let ruleId: string;
  let templateId: string;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    a = await t.createTenant('contract', { defaultCountry: 'IN' });
    leadId = dataOf(await t.crm(a).post('/leads', { phone: nextPhone(), name: 'Known' }), 201).lead.id;
    agentId = dataOf(await t.crm(a).post('/agents', { name: 'Agent Known' }), 201).id;
    ruleId = dataOf(
      await t.crm(a).post('/assignment-rules', { name: 'Rule', strategy: 'round_robin' }),
      201,
    ).id;
    templateId = dataOf(
      await t.crm(a).post('/email/templates', { name: 'T', subject: 'S', html: '<p>x</p>', text: null }),
      201,
    ).id;
  });
  afterAll(() => t?.close());

  /** Representative writes: hot (lead ingest, events) and Express, tenant and platform, nested objects. */
  const writes = (): { name: string; field?: string; send: (body: object) => Promise<TestResponse> }[] => [
    {
      name: 'POST /leads (hot)',
      send: (body: object) => t.crm(a).post('/leads', { phone: nextPhone(), ...body }),
    },
    {
      name: 'PATCH /leads/:id',
      send: (body: object) => t.crm(a).patch(`/leads/${leadId}`, { name: 'N', ...body }),
    },
    { name: 'POST /agents', send: (body: object) => t.crm(a).post('/agents', { name: 'A', ...body }) },
    {
      name: 'PATCH /agents/:id',
      send: (body: object) => t.crm(a).patch(`/agents/${agentId}`, { name: 'A', ...body }),
    },
    {
      name: 'POST /contacts',
      field: 'firstName',
      send: (body: object) => t.crm(a).post('/contacts', { firstName: 'C', ...body }),
    },
    {
      name: 'PATCH /assignment-rules/:id',
      send: (body: object) => t.crm(a).patch(`/assignment-rules/${ruleId}`, { name: 'R', ...body }),
    },
    {
      name: 'POST /automations/rules',
      send: (body: object) =>
        t.automations(a).post('/rules', {
          name: 'Auto',
          trigger: 'form_submitted',
          actions: [{ type: 'add_tag', tag: 'x' }],
          ...body,
        }),
    },
    {
      name: 'POST /automations/events (hot)',
      field: 'eventId',
      send: (body: object) =>
        t.automations(a).post('/events', { trigger: 'form_submitted', phone: nextPhone(), ...body }),
    },
    {
      name: 'PATCH /email/templates/:id',
      send: (body: object) => t.crm(a).patch(`/email/templates/${templateId}`, { subject: 'S', ...body }),
    },
    {
      name: 'POST /platform/tenants',
      send: (body: object) => platform('/tenants', 'POST', { code: `c${++phone}`, name: 'T', ...body }),
    },
  ];

  it('refuses NUL in any field, nested value or key, of every route, as invalid_data naming the field', async () => {
    for (const route of writes()) {
      const field = route.field ?? 'name';
      const answer = await route.send({ [field]: 'Ali\u0000ce' });
      refused(answer, 'invalid_data', [`body.${field}`]);
    }
    // Nested: in an array element, in an object's key, in a free-form map.
    refused(
      await t
        .crm(a)
        .post('/leads', { phone: nextPhone(), tags: ['ok', 'b\u0000d'], customFields: { 'k\u0000': 1 } }),
      'invalid_data',
      ['body.tags.1', 'body.customFields."k\\u0000"'],
    );
    refused(
      await t.automations(a).post('/events', { trigger: 'form_submitted', eventId: 'e\u0000' }),
      'invalid_data',
      ['body.eventId'],
    );
    // Query and params.
    refused(await t.crm(a).get('/leads?q=a%00b'), 'invalid_data', ['query.q']);
    refused(await t.crm(a).get('/leads/a%00b'), 'invalid_data', ['params.id']);
    // An unpaired surrogate (JSON allows the escape; no database stores it).
    const surrogate = await t.request('/api/crm/contacts', {
      method: 'POST',
      headers: { ...a.headers, 'content-type': 'application/json' },
      body: '{"firstName":"\\ud800"}',
    });
    refused(surrogate, 'invalid_data', ['body.firstName']);
  });

  it('fails a CSV row holding a NUL as a row error, importing the others', async () => {
    const good = nextPhone();
    const answer = await t.request('/api/crm/leads/import?mode=sync', {
      headers: { ...a.headers, 'content-type': 'text/csv' },
      body: `name,phone,city\r\nNul\u0000Row,${nextPhone()},Pune\r\nGood Row,${good},Kochi\r\n`,
    });
    expect(dataOf(answer)).toMatchObject({ rows: 2, created: 1, failed: 1 });
    expect(answer.body.data.errors).toEqual([
      { line: 2, reason: expect.stringMatching(/^name: Contains a NUL/) },
    ]);
  });

  it('stores other control characters as given', async () => {
    const name = 'Tab\there\nline\u0001\u001f';
    const { lead } = dataOf(await t.crm(a).post('/leads', { phone: nextPhone(), name }), 201);
    expect(dataOf(await t.crm(a).get(`/leads/${lead.id}`)).name).toBe(name);
  });

  it('refuses unknown body fields and query parameters, naming each, with the nearest known name', async () => {
    // A slip: two neighbouring letters swapped (name → nmae, firstName → fristName).
    const slip = (field: string) => field[0]! + field[2]! + field[1]! + field.slice(3);
    for (const route of writes()) {
      const field = route.field ?? 'name';
      const details = refused(await route.send({ [slip(field)]: 'x', bogusField: 1 }), 'validation_failed', [
        `body.${slip(field)}`,
        'body.bogusField',
      ]);
      const near = details.find((issue) => issue.path === `body.${slip(field)}`)!;
      expect(near.message, route.name).toBe(`Unknown field; did you mean "${field}"?`);
      expect(details.find((issue) => issue.path === 'body.bogusField')!.message).toBe('Unknown field');
    }
    // Nested objects are strict; free-form maps (customFields, variables) are not.
    const nested = refused(
      await t.crm(a).post('/agents', {
        name: 'A',
        workingHours: { start: '09:00', end: '18:00', weekdays: [1], tz: 'x' },
      }),
      'validation_failed',
      ['body.workingHours.tz'],
    );
    expect(nested).toHaveLength(1);
    refused(
      await t.automations(a).post('/rules', {
        name: 'Auto',
        trigger: 'form_submitted',
        actions: [{ type: 'add_tag', tag: 'x', colour: 'red' }],
      }),
      'validation_failed',
      ['body.actions.0.colour'],
    );
    dataOf(
      await t.crm(a).post('/leads', { phone: nextPhone(), customFields: { anything: { goes: 1 } } }),
      201,
    );

    const query = refused(await t.crm(a).get('/leads?stauts=new&limit=5'), 'validation_failed', [
      'query.stauts',
    ]);
    expect(query[0]!.message).toMatch(/did you mean "status"/);
    // A route without a query schema takes none; one without a body schema takes no fields.
    refused(await t.crm(a).get('/agents/' + agentId + '?verbose=1'), 'validation_failed', ['query.verbose']);
    refused(await t.crm(a).post(`/leads/${leadId}/convert`, { force: true }), 'validation_failed', [
      'body.force',
    ]);
    refused(await platform('/tenants?foo=1', 'GET'), 'validation_failed', ['query.foo']);
  });

  it('accepts the documented aliases, and refuses an alias given with its field', async () => {
    const agent = dataOf(await t.crm(a).post('/agents', { name: 'Alias', assignedStates: ['Kerala'] }), 201);
    expect(agent.territories).toEqual(['Kerala']);
    const patched = dataOf(await t.crm(a).patch(`/agents/${agent.id}`, { assignedStates: ['Goa'] }));
    expect(patched.territories).toEqual(['Goa']);
    refused(
      await t.crm(a).post('/agents', { name: 'Both', assignedStates: ['Goa'], territories: ['Goa'] }),
      'validation_failed',
      ['body.assignedStates'],
    );

    const leadPhone = nextPhone();
    const { lead } = dataOf(await t.crm(a).post('/leads', { phone: leadPhone, leadSource: 'Website' }), 201);
    expect(lead.source).toBe('website');
    expect(dataOf(await t.crm(a).patch(`/leads/${lead.id}`, { leadSource: 'expo' })).source).toBe('expo');
    refused(
      await t.crm(a).post('/leads', { phone: nextPhone(), leadSource: 'a', source: 'b' }),
      'validation_failed',
      ['body.leadSource'],
    );

    const found = dataOf(await t.crm(a).get(`/leads?search=${encodeURIComponent(leadPhone.slice(-10))}`));
    expect(found.items.map((item: { id: string }) => item.id)).toEqual([lead.id]);
    refused(await t.crm(a).get('/leads?search=a&q=b'), 'validation_failed', ['query.search']);
  });

  it('refuses dates no database column can store', async () => {
    refused(await t.crm(a).get('/leads?updatedFrom=99999-01-01'), 'validation_failed', ['query.updatedFrom']);
    refused(await t.crm(a).get('/leads?createdTo=-000001-01-01'), 'validation_failed', ['query.createdTo']);
    refused(await t.crm(a).get('/leads/stats?from=275760-01-01'), 'validation_failed', ['query.from']);
    refused(
      await t.crm(a).patch(`/leads/${leadId}`, { followUpAt: '+099999-01-01T00:00:00Z' }),
      'validation_failed',
      ['body.followUpAt'],
    );
    dataOf(await t.crm(a).get('/leads?updatedFrom=0001-01-01&updatedTo=9999-12-31'));
  });

  it('refuses integers beyond their column and a create with no fields', async () => {
    refused(await t.crm(a).post('/agents', { name: 'Big', dailyLimit: 2 ** 40 }), 'validation_failed', [
      'body.dailyLimit',
    ]);
    refused(await t.crm(a).get('/leads?limit=99999999999999999999'), 'validation_failed', ['query.limit']);
    refused(await t.crm(a).get('/contacts?page=1e400'), 'validation_failed', ['query.page']);

    refused(await t.crm(a).post('/contacts', {}), 'validation_failed', ['body']);
    const empty = await t.request('/api/crm/contacts', { method: 'POST', headers: a.headers });
    refused(empty, 'validation_failed', ['body']);
    const emptyJson = await t.request('/api/crm/contacts', {
      method: 'POST',
      headers: { ...a.headers, 'content-type': 'application/json' },
      body: '',
    });
    refused(emptyJson, 'validation_failed', ['body']);
  });

  it('refuses a multipart upload cut before its closing boundary, leaving nothing behind', async () => {
    const boundary = 'cut-boundary';
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="leads.csv"\r\nContent-Type: text/csv\r\n\r\nname,phone\r\nCut,${nextPhone()}\r\n`,
    );
    for (const mode of ['sync', 'background']) {
      const answer = await new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = request(`${t.baseUrl}/api/crm/leads/import?mode=${mode}`, {
          method: 'POST',
          headers: { ...a.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }),
          );
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.error.code).toBe('invalid_file');
    }
    const { db } = await tenantHandle(t, a.tenant.id);
    expect(await db.selectFrom('imports').select('id').execute()).toEqual([]);
    expect(dataOf(await t.crm(a).get('/leads?q=Cut')).items).toEqual([]);
  });
});

describe('nearestName', () => {
  it('suggests a name for a slip, none for a stranger', () => {
    const known = ['territories', 'name', 'firstName', 'source', 'dailyLimit'];
    expect(nearestName('teritories', known)).toBe('territories');
    expect(nearestName('first_name', known)).toBe('firstName');
    expect(nearestName('Name', known)).toBe('name');
    expect(nearestName('daily_limit', known)).toBe('dailyLimit');
    expect(nearestName('colour', known)).toBeUndefined();
    expect(nearestName('nmae', known)).toBe('name');
    expect(nearestName('x', [])).toBeUndefined();
  });
});
