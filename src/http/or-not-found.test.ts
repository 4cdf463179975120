import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

/** A repository answers `undefined` for an absent row; every by-id route turns that into a 404. */
describe('by-id routes on an absent row', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const call = (path: string, method = 'GET', body?: unknown) =>
    t.request(path, { method, headers: tenant.headers, body });

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await t.createTenant('absent');
  });
  afterAll(() => t?.close());

  const resources = [
    { path: '/api/crm/contacts', create: { firstName: 'Asha' }, patch: { lastName: 'Rao' } },
    { path: '/api/crm/assignment-rules', create: { name: 'all agents' }, patch: { name: 'renamed' } },
    {
      path: '/api/automations/rules',
      create: {
        name: 'Tag web forms',
        trigger: 'form_submitted',
        conditions: [],
        actions: [{ type: 'add_tag', tag: 'web-form' }],
        active: true,
      },
      patch: { active: false },
    },
    {
      path: '/api/crm/email/templates',
      create: { name: 'welcome', subject: 'Hi', html: '<p>Hi</p>' },
      patch: { subject: 'Hello' },
    },
  ];

  it.each(resources)('$path: shows, changes and deletes a row once, then answers 404', async (resource) => {
    const created = await call(resource.path, 'POST', resource.create);
    expect(created.status).toBe(201);
    const item = `${resource.path}/${created.body.data.id}`;
    expect((await call(item)).status).toBe(200);
    expect((await call(item, 'PATCH', resource.patch)).status).toBe(200);

    const deleted = await call(item, 'DELETE');
    expect(deleted.status).toBe(200);
    expect(deleted.body.data.id).toBe(created.body.data.id);

    for (const [method, body] of [['GET'], ['PATCH', resource.patch], ['DELETE']] as const) {
      const absent = await call(item, method, body);
      expect(absent.status, `${method} ${item}`).toBe(404);
      expect(absent.body.error.code).toBe('not_found');
    }
  });

  it('answers 404 for an absent agent, on reading and on changing', async () => {
    const item = '/api/crm/agents/00000000-0000-4000-8000-000000000000';
    expect((await call(item)).status).toBe(404);
    expect((await call(item, 'PATCH', { name: 'Nobody' })).status).toBe(404);
    expect((await call(`${item}/availability`, 'PUT', { available: true })).status).toBe(404);
    expect((await call(item, 'DELETE')).status).toBe(404);
  });
});
