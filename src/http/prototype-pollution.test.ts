import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, type TestResponse } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

/**
 * JSON as an attacker writes it: `JSON.parse` makes `__proto__` an own key (an object literal
 * would set the prototype instead), and the client sends it on as written.
 */
const hostile = <T = Record<string, unknown>>(json: string): T => JSON.parse(json) as T;
const poison = '{"__proto__":{"polluted":"proto"},"constructor":{"prototype":{"polluted":"ctor"}}}';

/** Nothing reached the prototypes every object of the server process shares (the app runs in this process). */
function expectUnpolluted() {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect((Object.create(null) as Record<string, unknown>).polluted).toBeUndefined();
}

/** Refused as unknown fields (the input contract), each named. */
function expectUnknown(answer: TestResponse, paths: string[]) {
  expect(answer.status, answer.text).toBe(400);
  expect(answer.body).toMatchObject({ success: false, error: { code: 'validation_failed' } });
  const named = (answer.body.error.details as { path: string }[]).map((issue) => issue.path);
  expect(named).toEqual(expect.arrayContaining(paths));
}

/** `poison` as a free-form map (customFields, variables) keeps it: `__proto__` dropped, `constructor.prototype` as plain nested data. */
const kept = { constructor: { prototype: { polluted: 'ctor' } } };

/** A stored object kept the keys as plain data: no own `__proto__`, the ordinary prototype, nothing inherited. */
function expectPlainData(value: Record<string, unknown>, expected: Record<string, unknown>) {
  expect(value).toEqual(expected);
  expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  expect(Object.getOwnPropertyNames(value)).not.toContain('__proto__');
  expect(value.polluted).toBeUndefined();
}

describe('prototype pollution through request bodies (tried and held)', () => {
  let t: TestApp;
  let a: TestTenant;
  let phone = 0;
  const nextPhone = () => `+9198300${String(++phone).padStart(5, '0')}`;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    a = await t.createTenant('proto', { defaultCountry: 'IN' });
  });
  afterEach(expectUnpolluted);
  afterAll(() => t?.close());

  it('lead custom fields stored as plain data; the hostile keys at the top level refused as unknown', async () => {
    const customFields = `{"plan":"gold","__proto__":{"polluted":"proto"},"constructor":{"prototype":{"polluted":"ctor"}}}`;
    const refused = await t
      .crm(a)
      .post(
        '/leads',
        hostile(`{"phone":"${nextPhone()}","customFields":${customFields},"__proto__":{"polluted":"proto"}}`),
      );
    expectUnknown(refused, ['body.__proto__']);
    const created = await t
      .crm(a)
      .post(
        '/leads',
        hostile(`{"phone":"${nextPhone()}","name":"Proto Lead","customFields":${customFields}}`),
      );
    const { lead } = dataOf(created, 201);
    expectPlainData(dataOf(await t.crm(a).get(`/leads/${lead.id}`)).customFields, { plan: 'gold', ...kept });

    const patched = await t.crm(a).patch(`/leads/${lead.id}`, hostile(`{"customFields":${poison}}`));
    expectPlainData(dataOf(patched).customFields, kept);
    expectPlainData(dataOf(await t.crm(a).get(`/leads/${lead.id}`)).customFields, kept);

    // Only the hostile keys: neither is a lead field.
    expectUnknown(await t.crm(a).patch(`/leads/${lead.id}`, hostile(poison)), [
      'body.__proto__',
      'body.constructor',
    ]);
  });

  it('automation rule conditions, webhook headers and event variables', async () => {
    const ruleBody = (topLevel: string) =>
      hostile(`{
        "name": "Proto rule",
        "trigger": "form_submitted",
        "conditions": [
          { "field": "variables.constructor.prototype.polluted", "op": "eq", "value": "ctor" },
          { "field": "variables.__proto__", "op": "exists", "value": false }
        ],
        "actions": [
          { "type": "add_tag", "tag": "proto-matched" },
          { "type": "call_webhook", "url": "https://hooks.example.com/in",
            "headers": { "x-ok": "1", "__proto__": { "polluted": "proto" } } }
        ]${topLevel}
      }`);
    expectUnknown(await t.automations(a).post('/rules', ruleBody(`, "__proto__": { "polluted": "proto" }`)), [
      'body.__proto__',
    ]);
    const { id } = dataOf(await t.automations(a).post('/rules', ruleBody('')), 201);
    const stored = dataOf(await t.automations(a).get(`/rules/${id}`));
    expectPlainData(stored.actions[1].headers, { 'x-ok': '1' });
    expectUnknown(await t.automations(a).patch(`/rules/${id}`, hostile(poison)), ['body.__proto__']);

    // The event's variables carry the keys: a condition reads them as the plain data they are.
    const eventBody = (topLevel: string) =>
      hostile(`{
        "trigger": "form_submitted",
        "phone": "${nextPhone()}",
        "createLeadIfMissing": true,
        "variables": ${poison},
        "leadData": { "customFields": ${poison} }${topLevel}
      }`);
    expectUnknown(
      await t.automations(a).post('/events', eventBody(`, "__proto__": { "polluted": "proto" }`)),
      ['body.__proto__'],
    );
    const event = await t.automations(a).post('/events', eventBody(''));
    const result = dataOf(event, 202);
    expect(result.matchedRules.map((run: { ruleId: string }) => run.ruleId)).toEqual([id]);
    const lead = dataOf(await t.crm(a).get(`/leads/${result.lead.id}`));
    expect(lead.tags).toContain('proto-matched');
    expectPlainData(lead.customFields, kept);
  });

  it('contacts, email message variables, campaign variables and audience', async () => {
    const contact = await t
      .crm(a)
      .post('/contacts', hostile(`{"firstName":"Proto","phone":"${nextPhone()}","customFields":${poison}}`));
    expectPlainData(dataOf(contact, 201).customFields, kept);

    const template = dataOf(
      await t.crm(a).post('/email/templates', {
        name: 'Proto',
        subject: 'Hi {{__proto__.polluted}}{{constructor.prototype.polluted}}',
        html: '<p>{{constructor.name}}{{toString}}</p>',
        text: null,
      }),
      201,
    );
    const message = await t
      .crm(a)
      .post(
        '/email/messages',
        hostile(`{"to":"proto@example.test","templateId":"${template.id}","variables":${poison}}`),
      );
    expect(message.status).toBe(202);
    const campaign = await t
      .crm(a)
      .post(
        '/email/campaigns',
        hostile(
          `{"name":"Proto","templateId":"${template.id}","audience":{"tags":["none"]},"variables":${poison}}`,
        ),
      );
    expectPlainData(dataOf(campaign, 201).variables, kept);
    // The audience is a leads filter, checked strictly: an unknown key is refused.
    const audience = await t
      .crm(a)
      .post(
        '/email/campaigns',
        hostile(`{"name":"Proto","templateId":"${template.id}","audience":${poison}}`),
      );
    expect(audience.status).toBe(400);
    expect(audience.body.error.code).toBe('validation_failed');
  });

  it('a CSV whose header names __proto__ and constructor, and a mapping with those keys', async () => {
    const upload = (query = '') =>
      t.request(`/api/crm/leads/import${query}`, {
        headers: { ...a.headers, 'content-type': 'text/csv' },
        body: `__proto__,constructor,prototype,phone,name\r\npolluted,polluted,polluted,${nextPhone()},Csv Proto\r\n`,
      });
    const plain = await upload();
    expect(dataOf(plain)).toMatchObject({ rows: 1, created: 1, failed: 0 });
    expectUnpolluted();

    // A mapping naming the hostile columns: `__proto__` is no lead field, the phone comes from its column.
    const mapped = await upload(
      `?mapping=${encodeURIComponent('{"__proto__":"phone","phone":"__proto__"}')}`,
    );
    expect(mapped.status, mapped.text).toBe(200);
    expect(mapped.body.data).toMatchObject({ rows: 1, failed: 1 });
    const byName = await upload(`?mapping=${encodeURIComponent('{"name":"constructor"}')}`);
    expect(dataOf(byName)).toMatchObject({ rows: 1, created: 1 });
    const lead = dataOf(await t.crm(a).get('/leads?q=polluted')).items[0];
    expect(lead.name).toBe('polluted');
  });
});
