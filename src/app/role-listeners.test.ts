import { randomUUID } from 'node:crypto';
import { Access } from '../auth/access.js';
import { systemActor } from '../auth/actors.js';
import { io as connectClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assignPendingCron } from '../automations/crm-triggers/automations.cron.js';
import { insertAutomationRule } from '../automations/rules/rule.repository.js';
import { ruleInputSchema } from '../automations/rules/rule.schemas.js';
import { ingestLead } from '../leads/ingest-lead.js';
import { ingestLeadSchema } from '../leads/lead.schemas.js';
import { tenantHandle } from '../testing/job-context.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { testDatabaseKind } from '../testing/test-database.js';
import { redisForTests, testRedisUrl } from '../testing/test-redis.js';

/** Redis on its own adapter channels, so parallel runs on the shared Redis do not hear each other. */
const redisEnv = () => ({ REDIS_URL: testRedisUrl, REALTIME_REDIS_KEY: `switchyard-test-${randomUUID()}` });

describe('lead-event listeners in every role', () => {
  let available = false;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    available = await redisForTests('the role listener tests');
  });
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
  });

  it.for(['all', 'worker'] as const)(
    'ROLE=%s forwards a lead event to realtime and drains the automation outbox at once',
    async (role, context) => {
      if (!available) context.skip();
      const t = await startTestApp({ ROLE: role, ...redisEnv() });
      apps.push(t);
      // Only the lead-event listener may drain: the cron fallback must not hide its absence.
      await t.app.cron?.stop();
      const { services } = t.app;
      const { tenant } = await services.tenantAdmin.createTenant(
        {
          code: `roles${role}`,
          name: `Roles ${role}`,
          defaultCountry: 'IN',
        },
        { type: 'cli', id: null, name: 'role-listeners test' },
      );
      const handle = await tenantHandle(t, tenant.id);
      await insertAutomationRule(
        handle,
        ruleInputSchema.parse({
          name: 'Tag new',
          trigger: 'lead_created',
          actions: [{ type: 'add_tag', tag: 'drained' }],
        }),
      );
      const emitted = vi.spyOn(services.realtime, 'emitForLead');

      const { lead } = await ingestLead(
        { handle, actor: systemActor('test'), access: Access.tenantWide(), events: services.leadEvents },
        ingestLeadSchema.parse({ name: 'Role Lead', phone: '9812300001' }),
      );

      await expect
        .poll(() => emitted.mock.calls.filter(([, , event]) => event === 'lead.created').map(([id]) => id))
        .toEqual([tenant.id]);
      const tagsOf = async () =>
        (
          await handle.db
            .selectFrom('leads')
            .select('tags')
            .where('id', '=', lead.id)
            .executeTakeFirstOrThrow()
        ).tags;
      await expect.poll(tagsOf, { timeout: 10_000 }).toEqual(['drained']);
    },
  );
});

describe.runIf(testDatabaseKind === 'postgres')('a worker process reaching dashboards', () => {
  let available = false;
  let web: TestApp | undefined;
  let worker: TestApp | undefined;
  beforeAll(async () => {
    available = await redisForTests('the worker-to-dashboard test');
    if (!available) return;
    const env = redisEnv();
    web = await startTestApp({ ROLE: 'web', ...env });
    worker = await startTestApp({ ROLE: 'worker', ...env }, web.database);
    await worker.app.cron?.stop();
  });
  afterAll(async () => {
    await worker?.close();
    await web?.close();
  });

  it("sends the worker's assign-pending assignments to a socket on a web process", async (context) => {
    if (!available) context.skip();
    const tenant = await web!.createTenant('rolespending', { defaultCountry: 'IN' });
    const lead = (
      await web!.request('/api/crm/leads', {
        headers: tenant.headers,
        body: { name: 'Waiting', phone: '9812300002' },
      })
    ).body.data.lead;
    expect(lead.assignedAgentId).toBeNull();
    const agent = (await web!.request('/api/crm/agents', { headers: tenant.headers, body: { name: 'Late' } }))
      .body.data;

    const socket = connectClient(web!.baseUrl, {
      auth: { clientCode: tenant.tenant.clientCode, apiKey: tenant.apiKey },
      transports: ['websocket'],
      forceNew: true,
    });
    try {
      const assigned: { id: string; assignedAgentId: string }[] = [];
      socket.on('lead.assigned', (payload: { id: string; assignedAgentId: string }) =>
        assigned.push(payload),
      );
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      await assignPendingCron.run(worker!.app.services, new Date());
      await expect
        .poll(() => assigned, { timeout: 10_000 })
        .toEqual([expect.objectContaining({ id: lead.id, assignedAgentId: agent.id })]);
    } finally {
      socket.close();
    }
  });
});
