import pg from 'pg';
import { webFormRules } from '../../testing/example-rule.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { testDatabaseKind } from '../../testing/test-database.js';

/**
 * What a new API event costs the database, counted at the pg driver (so on the Postgres
 * server only): `pnpm bench:automations`' event (a new lead assigned round robin, a rule that
 * tags and notes, a cascaded rule that changes the score). Issue 18: 27 statements, 3 of them
 * savepoints, before.
 */
describe.skipIf(testDatabaseKind !== 'postgres')('statements of an automation event', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let statements: string[] | undefined;
  const query = pg.Client.prototype.query;

  beforeAll(async () => {
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const [first] = args as [string | { text?: string }];
      statements?.push(typeof first === 'string' ? first : (first?.text ?? ''));
      return (query as (...rest: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    t = await startTestApp({ ROLE: 'web' });
    tenant = await t.createTenant('eventstmts', { defaultCountry: 'US' });
    for (const name of ['A', 'B', 'C']) await t.crm(tenant).post('/agents', { name });
    for (const rule of webFormRules) await t.automations(tenant).post('/rules', rule);
  });
  afterAll(async () => {
    pg.Client.prototype.query = query;
    await t?.close();
  });

  const fire = (n: number) =>
    t.automations(tenant).post('/events', {
      trigger: 'form_submitted',
      phone: `+1415555${String(1000 + n)}`,
      createLeadIfMissing: true,
      leadData: { firstName: `Form ${n}`, source: 'website' },
      variables: { formName: 'contact' },
      eventId: `form-${n}`,
    });

  it('handles a new event in one transaction of 11 statements, no savepoint', async () => {
    expect((await fire(0)).status).toBe(202); // caches warm (API key, rules, settings)
    statements = [];
    const res = await fire(1);
    const sent = statements;
    statements = undefined;
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({
      leadCreated: true,
      lead: { tags: ['web-form'], score: expect.any(Number) },
      failedActions: [],
    });
    expect(res.body.data.matchedRules).toHaveLength(2);
    expect(sent.filter((text) => /savepoint/i.test(text))).toEqual([]);
    expect(sent.filter((text) => /^\s*begin/i.test(text))).toHaveLength(1);
    expect(sent.length).toBeLessThanOrEqual(11);
  });

  it('handles a burst of 40 concurrent new events in under 3 statements per event (group commit)', async () => {
    statements = [];
    const answers = await Promise.all(Array.from({ length: 40 }, (_, n) => fire(100 + n)));
    const sent = statements;
    statements = undefined;
    for (const res of answers) {
      expect(res.status).toBe(202);
      expect(res.body.data).toMatchObject({
        leadCreated: true,
        lead: { tags: ['web-form'] },
        failedActions: [],
      });
    }
    expect(sent.filter((text) => /savepoint/i.test(text))).toEqual([]);
    // Before batching, each event was its own transaction of 11 statements (440).
    expect(sent.length).toBeLessThan(3 * 40);
  });
});
