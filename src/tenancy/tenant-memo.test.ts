import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { testDatabaseKind } from '../testing/test-database.js';

// Two processes on one database need the server (a PGlite directory has one owner).
describe.skipIf(testDatabaseKind !== 'postgres')('memoised tenant settings across processes', () => {
  let first: TestApp;
  let second: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({}, first.database);
    tenant = await first.createTenant(undefined, { defaultCountry: 'US' });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('a scoring change in one process reaches the other one at once', async () => {
    expect((await second.crm(tenant).get('/scoring')).body.data.base).toBe(50);
    expect((await first.crm(tenant).put('/scoring', { base: 20 })).status).toBe(200);
    // Read at once in the writing process; the other one drops its copy on the NOTIFY.
    expect((await first.crm(tenant).get('/scoring')).body.data.base).toBe(20);
    await vi.waitFor(async () => expect((await second.crm(tenant).get('/scoring')).body.data.base).toBe(20));
    const lead = await second.crm(tenant).post('/leads', { name: 'A', phone: '+14155550100', assign: false });
    expect(lead.body.data.lead.score).toBe(20);
  });

  it('a new assignment rule in one process routes the next ingest in the other', async () => {
    const agent = await first.crm(tenant).post('/agents', { name: 'Texas' });
    let phone = 14155550200;
    const ruleOfNextIngest = async () => {
      const lead = (await second.crm(tenant).post('/leads', { name: 'B', phone: `+${phone++}`, state: 'TX' }))
        .body.data.lead;
      const timeline = (await second.crm(tenant).get(`/leads/${lead.id}/activity`)).body.data.items;
      return timeline.find((entry: any) => entry.kind === 'assigned')?.data.ruleName;
    };
    expect(await ruleOfNextIngest()).toMatch(/^fallback/); // the second process memoises "no rules"
    const rule = await first.crm(tenant).post('/assignment-rules', {
      name: 'Texas',
      conditions: { states: ['TX'] },
      agentIds: [agent.body.data.id],
    });
    expect(rule.status).toBe(201);
    await vi.waitFor(async () => expect(await ruleOfNextIngest()).toBe('Texas'));
  });

  it('a new or deactivated automation rule in one process changes the next event in the other', async () => {
    const rulesMatchedByNextEvent = async () => {
      const res = await second
        .automations(tenant)
        .post('/events', { trigger: 'form_submitted', phone: '+14155550300', variables: {} });
      expect(res.status).toBe(202);
      return res.body.data.matchedRules.map((rule: any) => rule.ruleName);
    };
    expect(await rulesMatchedByNextEvent()).toEqual([]); // the second process memoises "no rules"
    const created = await first.automations(tenant).post('/rules', {
      name: 'Tag forms',
      trigger: 'form_submitted',
      actions: [{ type: 'add_tag', tag: 'form' }],
    });
    expect(created.status).toBe(201);
    await vi.waitFor(async () => expect(await rulesMatchedByNextEvent()).toEqual(['Tag forms']));
    const paused = await first.automations(tenant).patch(`/rules/${created.body.data.id}`, { active: false });
    expect(paused.status).toBe(200);
    await vi.waitFor(async () => expect(await rulesMatchedByNextEvent()).toEqual([]));
  });
});
