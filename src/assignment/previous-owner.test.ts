import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../testing/job-context.js';
import { queryPlan } from '../testing/query-plan.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { previousOwnerOf } from './assignment-engine.js';

describe('previousOwnerOf', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it("finds the newest archived lead's owner with one index probe, before `leads` has statistics", async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'US' });
    const handle = await tenantHandle(t, tenant.tenant.id);
    const agents = sql.id(handle.schema, 'agents');
    const leads = sql.id(handle.schema, 'leads');
    const { rows } = await sql<{ id: string }>`insert into ${agents} (name)
      values ('First owner'), ('Second owner'), ('Live owner') returning id`.execute(handle.db);
    const [first, second, live] = rows.map((row) => row.id);
    const phone = '+14155550100';
    // A tenant's first minutes: 40,000 live leads, nothing archived, no ANALYZE yet (the old
    // index then lost to a walk of leads_created_idx through every lead).
    await sql`insert into ${leads} (phone, assigned_agent_id)
      select '+1416' || lpad(i::text, 7, '0'), ${live} from generate_series(1, 40000) i`.execute(handle.db);
    await sql`insert into ${leads} (phone, assigned_agent_id, archived_at, created_at) values
      (${phone}, ${first}, now(), now() - interval '2 days'),
      (${phone}, ${second}, now(), now() - interval '1 day')`.execute(handle.db);

    const lookup = previousOwnerOf(handle.db, phone);
    expect(await lookup.executeTakeFirst()).toEqual({ assigned_agent_id: second });
    const plan = await queryPlan(handle.db, lookup);
    expect(plan).toContain('"Index Name":"leads_archived_phone_idx"');
    expect(plan).not.toContain('leads_created_idx');
    expect(plan).not.toContain('"Node Type":"Sort"');
  });
});
