import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../testing/job-context.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { decodeCursor, encodeCursor, type Keyset } from './pagination.js';

/**
 * Every list endpoint pages one way (src/http/pagination.ts): `limit` + `cursor` in,
 * `{ items, nextCursor, total? }` out. Each case seeds `seeded` rows in one statement (so they
 * share one `now()`: a cursor that rounded timestamps to milliseconds would skip them), walks the
 * list three at a time and checks the walk is the one-page list, in order, without overlap or gap.
 */
const seeded = 7;
const series = `generate_series(1, ${seeded}) i`;

interface ListCase {
  name: string;
  api: 'crm' | 'automations' | 'platform';
  /** Seeds the tenant's rows and answers the list's path (with its filter, if any). */
  seed: (handle: TenantHandle, t: TestApp) => Promise<string>;
  /** Counts rows the tenant does not own (platform lists): then the walk is compared, not counted. */
  shared?: boolean;
  total?: boolean;
}

const table = (handle: TenantHandle, name: string) => sql.id(handle.schema, name);
const insert = async (handle: TenantHandle, query: ReturnType<typeof sql>) => {
  await query.execute(handle.db);
};
const oneId = async (handle: TenantHandle, query: ReturnType<typeof sql<{ id: string }>>) =>
  (await query.execute(handle.db)).rows[0]!.id;

const lists: ListCase[] = [
  {
    name: 'leads',
    api: 'crm',
    total: true,
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'leads')} (first_name, phone) select 'Lead ' || i, '+1555010' || lpad(i::text, 4, '0') from ${sql.raw(series)}`,
      );
      return '/leads';
    },
  },
  {
    name: 'leads by score',
    api: 'crm',
    total: true,
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'leads')} (first_name, phone) select 'Lead ' || i, '+1555020' || lpad(i::text, 4, '0') from ${sql.raw(series)}`,
      );
      return '/leads?sort=score&order=asc';
    },
  },
  {
    name: 'agents',
    api: 'crm',
    seed: async (h) => {
      await insert(h, sql`insert into ${table(h, 'agents')} (name) select 'Agent' from ${sql.raw(series)}`);
      return '/agents';
    },
  },
  {
    name: 'contacts',
    api: 'crm',
    total: true,
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'contacts')} (first_name) select 'C' || i from ${sql.raw(series)}`,
      );
      return '/contacts';
    },
  },
  {
    name: 'pipelines',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'pipelines')} (kind, name) select 'deal', 'Pipeline ' || i from ${sql.raw(series)}`,
      );
      return '/pipelines';
    },
  },
  {
    name: 'calendars',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'calendars')} (name, timezone, intervals)
          select 'Calendar ' || i, 'Europe/London', '{"mon": [["09:00", "17:00"]]}' from ${sql.raw(series)}`,
      );
      return '/calendars';
    },
  },
  {
    name: 'calls',
    api: 'crm',
    total: true,
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'calls')} (direction, mode, from_number, to_number, queued_at)
          select 'outbound', 'click_to_call', '+14150000000', '+1555040' || lpad(i::text, 4, '0'), now() - i * interval '1 minute' from ${sql.raw(series)}`,
      );
      return '/calls';
    },
  },
  {
    name: 'call queue',
    api: 'crm',
    total: true,
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'leads')} (first_name, phone) select 'Q' || i, '+1555050' || lpad(i::text, 4, '0') from ${sql.raw(series)}`,
      );
      await insert(
        h,
        sql`insert into ${table(h, 'call_queue')} (lead_id, priority, priority_rank, timezones, queued_at)
          select id, 'medium', 2, '{UTC}', now() from ${table(h, 'leads')} where phone like '+1555050%'`,
      );
      return '/call-queue';
    },
  },
  {
    name: 'signals',
    api: 'crm',
    total: true,
    seed: async (h) => {
      const lead = await oneId(
        h,
        sql<{
          id: string;
        }>`insert into ${table(h, 'leads')} (first_name, phone) values ('Waiting', '+15550190000') returning id`,
      );
      await insert(
        h,
        sql`insert into ${table(h, 'signals')} (type, lead_id, sla_seconds, sla_deadline, opened_at, last_inbound_at, status, resolved_at, resolution)
          select 'system', ${lead}, 3600, now(), now(), now(), 'resolved', now(), 'manual' from ${sql.raw(series)}`,
      );
      return '/signals';
    },
  },
  {
    name: 'presence',
    api: 'crm',
    seed: async (h) => {
      await insert(h, sql`insert into ${table(h, 'agents')} (name) select 'Agent' from ${sql.raw(series)}`);
      await insert(
        h,
        sql`insert into ${table(h, 'agent_presence')} (agent_id, setting) select id, 'away' from ${table(h, 'agents')} limit 3`,
      );
      return '/presence';
    },
  },
  {
    name: 'do-not-call list',
    api: 'crm',
    total: true,
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'do_not_call')} (phone) select '+1555030' || lpad(i::text, 4, '0') from ${sql.raw(series)}`,
      );
      return '/dnc?phone=%2B1555030';
    },
  },
  {
    name: 'assignment rules',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'assignment_rules')} (name) select 'R' || i from ${sql.raw(series)}`,
      );
      return '/assignment-rules';
    },
  },
  {
    name: 'email templates',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'email_templates')} (name, subject, html) select 'T' || (i % 3) || '-' || i, 's', 'h' from ${sql.raw(series)}`,
      );
      return '/email/templates';
    },
  },
  {
    name: 'email suppressions',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'email_suppressions')} (address, reason) select 'a' || i || '@example.com', 'manual' from ${sql.raw(series)}`,
      );
      return '/email/suppressions';
    },
  },
  {
    name: 'email campaigns',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'email_campaigns')} (name, rate_per_minute) select 'Camp ' || i, 60 from ${sql.raw(series)}`,
      );
      return '/email/campaigns';
    },
  },
  {
    name: 'campaign recipients',
    api: 'crm',
    seed: async (h) => {
      const id = await oneId(
        h,
        sql<{
          id: string;
        }>`insert into ${table(h, 'email_campaigns')} (name, rate_per_minute) values ('Camp', 60) returning id`,
      );
      await insert(
        h,
        sql`insert into ${table(h, 'email_messages')} (campaign_id, to_address) select ${id}, 'r' || i || '@example.com' from ${sql.raw(series)}`,
      );
      return `/email/campaigns/${id}/recipients`;
    },
  },
  {
    name: 'imports',
    api: 'crm',
    seed: async (h) => {
      await insert(h, sql`insert into ${table(h, 'imports')} default values`);
      await insert(
        h,
        sql`insert into ${table(h, 'imports')} (file_name) select 'f' || i || '.csv' from generate_series(2, ${seeded}) i`,
      );
      return '/imports';
    },
  },
  {
    name: 'meetings',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'meetings')} (title, start_at, end_at) select 'M' || i, '2030-01-01T10:00:00.123456Z', '2030-01-01T11:00:00Z' from ${sql.raw(series)}`,
      );
      return '/meetings';
    },
  },
  {
    name: 'lead notes',
    api: 'crm',
    seed: async (h) => {
      const id = await oneId(
        h,
        sql<{
          id: string;
        }>`insert into ${table(h, 'leads')} (first_name, phone) values ('N', '+15550300001') returning id`,
      );
      await insert(
        h,
        sql`insert into ${table(h, 'lead_notes')} (lead_id, body) select ${id}, 'n' || i from ${sql.raw(series)}`,
      );
      return `/leads/${id}/notes`;
    },
  },
  {
    name: 'lead timeline (activities and notes merged)',
    api: 'crm',
    seed: async (h) => {
      const id = await oneId(
        h,
        sql<{
          id: string;
        }>`insert into ${table(h, 'leads')} (first_name, phone) values ('T', '+15550400001') returning id`,
      );
      await insert(
        h,
        sql`insert into ${table(h, 'lead_notes')} (lead_id, body) select ${id}, 'n' || i from generate_series(1, 4) i`,
      );
      await insert(
        h,
        sql`insert into ${table(h, 'lead_activities')} (lead_id, kind, actor, data) select ${id}, 'created', 'test', jsonb_build_object('i', i) from generate_series(1, 3) i`,
      );
      return `/leads/${id}/activity`;
    },
  },
  {
    name: 'conversations',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'conversations')} (phone_number_id, wa_id, last_message_at) select '1000001', '3460000000' || i, case when i % 2 = 0 then now() end from ${sql.raw(series)}`,
      );
      return '/conversations';
    },
  },
  {
    name: 'conversation messages',
    api: 'crm',
    seed: async (h) => {
      const id = await oneId(
        h,
        sql<{
          id: string;
        }>`insert into ${table(h, 'conversations')} (phone_number_id, wa_id) values ('1000001', '34600000099') returning id`,
      );
      await insert(
        h,
        sql`insert into ${table(h, 'messages')} (conversation_id, direction, type, status, body) select ${id}, 'inbound', 'text', 'received', 'm' || i from ${sql.raw(series)}`,
      );
      return `/conversations/${id}/messages`;
    },
  },
  {
    name: 'WhatsApp templates',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'whatsapp_templates')} (name, language, template_id, status) select 'tpl' || (i % 2), 'l' || i, 'id' || i, 'APPROVED' from ${sql.raw(series)}`,
      );
      return '/whatsapp/templates';
    },
  },
  {
    name: 'cohorts',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'cohorts')} (name) select 'Cohort ' || i from ${sql.raw(series)}`,
      );
      return '/cohorts';
    },
  },
  {
    name: 'cohort distributions',
    api: 'crm',
    seed: async (h) => {
      const id = await oneId(
        h,
        sql<{ id: string }>`insert into ${table(h, 'cohorts')} (name) values ('Cohort') returning id`,
      );
      await insert(
        h,
        sql`insert into ${table(h, 'cohort_assignments')} (cohort_id, cohort_name, filter, agents, capacity_basis, only_unassigned, until_number, status) select ${id}, 'Cohort', '{}', '[]', 'weight', true, 0, 'completed' from ${sql.raw(series)}`,
      );
      return `/cohorts/${id}/assignments`;
    },
  },
  {
    name: 'cohort distribution leads',
    api: 'crm',
    seed: async (h) => {
      const id = await oneId(
        h,
        sql<{
          id: string;
        }>`insert into ${table(h, 'cohort_assignments')} (cohort_name, filter, agents, capacity_basis, only_unassigned, until_number, status) values ('Cohort', '{}', '[]', 'weight', true, 0, 'completed') returning id`,
      );
      await insert(
        h,
        sql`insert into ${table(h, 'cohort_assignment_leads')} (assignment_id, lead_id, position, outcome, reason) select ${id}, gen_random_uuid(), i, 'skipped', 'lead_not_found' from ${sql.raw(series)}`,
      );
      return `/cohorts/assignments/${id}/leads`;
    },
  },
  {
    name: 'automation rules',
    api: 'automations',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'automation_rules')} (name, trigger, actions) select 'A' || i, 'lead.created', '[]' from ${sql.raw(series)}`,
      );
      return '/rules';
    },
  },
  {
    name: 'automation runs',
    api: 'automations',
    seed: async (h) => {
      const id = await oneId(
        h,
        sql<{
          id: string;
        }>`insert into ${table(h, 'automation_events')} (trigger, source) values ('lead.created', 'api') returning id`,
      );
      await insert(
        h,
        sql`insert into ${table(h, 'automation_runs')} (event_id, rule_name, trigger, status, rule_actions) select ${id}, 'r', 'lead.created', 'succeeded', '[]' from ${sql.raw(series)}`,
      );
      return '/runs';
    },
  },
  {
    name: 'jobs',
    api: 'automations',
    seed: async (h, t) => {
      await sql`insert into platform.jobs (tenant_id, kind, status) select ${h.tenant.id}, 'test.page', 'cancelled' from ${sql.raw(series)}`.execute(
        t.app.services.platform,
      );
      return '/jobs';
    },
  },
  {
    name: 'platform jobs',
    api: 'platform',
    seed: async (h, t) => {
      await sql`insert into platform.jobs (tenant_id, kind, status) select ${h.tenant.id}, 'test.page', 'cancelled' from ${sql.raw(series)}`.execute(
        t.app.services.platform,
      );
      return `/jobs?tenant=${h.tenant.clientCode}`;
    },
  },
  {
    name: 'users',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'users')} (email, name, role_id) select 'u' || i || '@example.com', 'U' || i, (select id from ${table(h, 'roles')} where key = 'agent') from ${sql.raw(series)}`,
      );
      return '/users';
    },
  },
  {
    name: 'teams',
    api: 'crm',
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'teams')} (name) select 'Team ' || (i % 3) || '-' || i from ${sql.raw(series)}`,
      );
      return '/teams';
    },
  },
  {
    name: 'roles',
    api: 'crm',
    // The built-in roles are listed beside the seeded ones.
    shared: true,
    seed: async (h) => {
      await insert(
        h,
        sql`insert into ${table(h, 'roles')} (key, name) select 'custom_' || i, 'C' || i from ${sql.raw(series)}`,
      );
      return '/roles';
    },
  },
  {
    name: 'platform tenants',
    api: 'platform',
    shared: true,
    seed: async () => '/tenants',
  },
];

describe('every list pages with limit + cursor', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const get = (tenant: TestTenant, api: ListCase['api'], path: string) =>
    api === 'platform'
      ? t.request(`/api/platform${path}`, { headers: { authorization: `Bearer ${testAdminToken}` } })
      : t[api](tenant).get(path);
  const withQuery = (path: string, query: string) => `${path}${path.includes('?') ? '&' : '?'}${query}`;

  it.each(lists)('$name: pages of 3 walk the whole list once, in order', async (list) => {
    const tenant = await t.createTenant();
    const handle = await tenantHandle(t, tenant.tenant.id);
    const path = await list.seed(handle, t);

    const whole = await get(tenant, list.api, withQuery(path, 'limit=200'));
    expect(whole.status, whole.text).toBe(200);
    expect(whole.body.data.nextCursor).toBeNull();
    const all = (whole.body.data.items as unknown[]).map((item) => JSON.stringify(item));
    if (!list.shared) expect(all).toHaveLength(seeded);

    const walked: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(
        tenant,
        list.api,
        withQuery(path, `limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
      );
      expect(response.status, response.text).toBe(200);
      const page = response.body.data;
      expect(Object.keys(page).sort()).toEqual(
        list.total ? expect.arrayContaining(['items', 'nextCursor', 'total']) : ['items', 'nextCursor'],
      );
      if (list.total) expect(page.total).toBe(seeded);
      expect(page.items.length).toBeLessThanOrEqual(3);
      walked.push(...(page.items as unknown[]).map((item) => JSON.stringify(item)));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 100);

    expect(new Set(walked).size).toBe(walked.length);
    expect(walked).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 3));
  });

  it.each(lists)('$name: a malformed, tampered or foreign cursor is a 400, not a 500', async (list) => {
    const tenant = await t.createTenant();
    const handle = await tenantHandle(t, tenant.tenant.id);
    const path = await list.seed(handle, t);
    const foreign: Keyset = { list: 'elsewhere', columns: [['id', 'uuid']], direction: 'asc' };
    const tampered = Buffer.from(JSON.stringify({ l: 'x', k: ["2026-01-01'", 'not-a-uuid'] })).toString(
      'base64url',
    );
    for (const cursor of [
      'garbage!',
      'AAAA',
      tampered,
      encodeCursor(foreign, ['00000000-0000-4000-8000-000000000000']),
      Buffer.from('{"l":1}').toString('base64url'),
      'x'.repeat(1001),
    ]) {
      const response = await get(tenant, list.api, withQuery(path, `cursor=${encodeURIComponent(cursor)}`));
      expect(response.status, `${cursor}: ${response.text}`).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
    }
    for (const limit of ['0', '201', 'ten']) {
      const response = await get(tenant, list.api, withQuery(path, `limit=${limit}`));
      expect(response.status, `limit=${limit}`).toBe(400);
    }
  });

  it('a cursor carrying the right list but values of the wrong type or range is refused', () => {
    const keyset: Keyset = {
      list: 'runs',
      columns: [
        ['created_at', 'timestamp'],
        ['id', 'uuid'],
      ],
      direction: 'desc',
    };
    const ok = encodeCursor(keyset, [
      '2026-12-05T22:38:52.123456+00:00',
      '00000000-0000-4000-8000-000000000000',
    ]);
    expect(decodeCursor(keyset, ok)).toEqual([
      '2026-12-05T22:38:52.123456+00:00',
      '00000000-0000-4000-8000-000000000000',
    ]);
    for (const key of [
      ['99999-01-01T00:00:00Z', '00000000-0000-4000-8000-000000000000'],
      ['2026-12-05', '00000000-0000-4000-8000-000000000000'],
      ['2026-12-05T22:38:52Z', 'x'],
      [1, '00000000-0000-4000-8000-000000000000'],
      ['2026-12-05T22:38:52Z'],
    ]) {
      expect(() => decodeCursor(keyset, encodeCursor(keyset, key))).toThrow('The request is not valid');
    }
    const ints: Keyset = { list: 'n', columns: [['n', 'int']], direction: 'asc' };
    expect(() => decodeCursor(ints, encodeCursor(ints, [2 ** 40]))).toThrow();
    const texts: Keyset = { list: 't', columns: [['t', 'text']], direction: 'asc' };
    expect(() => decodeCursor(texts, encodeCursor(texts, ['a\u0000b']))).toThrow();
  });

  it('conversation messages no longer take `before`: the old style is refused', async () => {
    const tenant = await t.createTenant();
    const handle = await tenantHandle(t, tenant.tenant.id);
    const path = await lists.find((list) => list.name === 'conversation messages')!.seed(handle, t);
    const first = await t.crm(tenant).get(`${path}?limit=2`);
    expect(first.body.data).not.toHaveProperty('nextBefore');
    const old = await t.crm(tenant).get(`${path}?before=${first.body.data.items[1].id}`);
    expect(old.status, old.text).toBe(400);
  });

  it('OpenAPI defines limit, cursor and nextCursor once and every list refers to them', async () => {
    const response = await t.request('/api/openapi.json');
    expect(response.status).toBe(200);
    const doc = response.body;
    expect(doc.components.parameters.PageLimit).toMatchObject({ name: 'limit', in: 'query' });
    expect(doc.components.parameters.PageCursor).toMatchObject({ name: 'cursor', in: 'query' });
    expect(doc.components.schemas.NextCursor).toBeDefined();
    // A fixed set, not a list of records: WhatsApp, email, Google.
    const notLists = ['/api/crm/channels'];
    const listPaths = Object.entries(doc.paths as Record<string, Record<string, any>>).filter(
      ([path, ops]) => {
        if (notLists.includes(path)) return false;
        const data = ops.get?.responses?.['200']?.content?.['application/json']?.schema?.properties?.data;
        return data?.type === 'array' || data?.properties?.items?.type === 'array';
      },
    );
    expect(listPaths.length).toBeGreaterThanOrEqual(lists.length - 2);
    for (const [path, ops] of listPaths) {
      const refs = (ops.get.parameters as { $ref?: string }[]).map((p) => p.$ref);
      expect(refs, path).toEqual(
        expect.arrayContaining(['#/components/parameters/PageLimit', '#/components/parameters/PageCursor']),
      );
      const data = ops.get.responses['200'].content['application/json'].schema.properties.data;
      expect(data.properties.nextCursor, path).toEqual({ $ref: '#/components/schemas/NextCursor' });
    }
  });
});
