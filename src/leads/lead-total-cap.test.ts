import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { exactTotalCap } from './lead-query.schemas.js';

describe('lead list total', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('is exact up to the cap, then the cap with totalCapped', async () => {
    const tenant = await t.createTenant(undefined, { defaultCountry: 'US' });
    const { handle } = await t.app.services.authenticator.authenticate(
      tenant.tenant.clientCode,
      tenant.apiKey,
    );
    await sql`insert into ${sql.id(handle.schema, 'leads')} (phone, status)
      select '+1415' || lpad(i::text, 7, '0'), case when i <= 3 then 'won' else 'new' end
      from generate_series(1, ${exactTotalCap + 4}) i`.execute(handle.db);
    const list = async (query: string) =>
      (await t.request(`/api/crm/leads${query}`, { headers: tenant.headers })).body.data;

    const all = await list('?limit=5');
    expect(all).toMatchObject({ total: exactTotalCap, totalCapped: true });
    expect(all.items).toHaveLength(5);
    expect(await list('?status=new&limit=5')).toMatchObject({ total: exactTotalCap, totalCapped: true });
    expect(await list('?status=won')).toMatchObject({ total: 3, totalCapped: false });

    await sql`delete from ${sql.id(handle.schema, 'leads')} where status = 'new' and phone = '+14150000004'`.execute(
      handle.db,
    );
    expect(await list('?status=new&limit=5')).toMatchObject({ total: exactTotalCap, totalCapped: false });
  });

  it('says so in the OpenAPI document', async () => {
    const list = (await t.request('/api/openapi.json')).body.paths['/api/crm/leads'].get;
    expect(JSON.stringify(list)).toContain('totalCapped');
  });
});
