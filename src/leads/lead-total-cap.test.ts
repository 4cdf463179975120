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
    const list = async (query: string) => (await t.crm(tenant).get(`/leads${query}`)).body.data;

    const all = await list('?limit=5');
    expect(all).toMatchObject({ total: exactTotalCap, totalCapped: true });
    expect(all.items).toHaveLength(5);
    expect(await list('?status=new&limit=5')).toMatchObject({ total: exactTotalCap, totalCapped: true });
    expect(await list('?status=won')).toMatchObject({ total: 3, totalCapped: false });

    await sql`delete from ${sql.id(handle.schema, 'leads')} where status = 'new' and phone = '+14150000004'`.execute(
      handle.db,
    );
    expect(await list('?status=new&limit=5')).toMatchObject({ total: exactTotalCap, totalCapped: false });

    // A search matching more than the cap pages like the plain list; one matching fewer (998
    // phones start with +14150000 once 4 is deleted) reads its whole match set, sorted and paged
    // the same way (cursor and page numbers).
    const refs = (page: any) => page.items.map((lead: any) => lead.ref);
    const broad = await list('?q=%2B1415&limit=5&sort=ref&order=desc');
    expect(broad).toMatchObject({ total: exactTotalCap, totalCapped: true });
    expect(refs(broad)).toEqual(refs(await list('?limit=5&sort=ref&order=desc')));
    const wide = await list('?q=%2B1415000&limit=3&sort=ref&order=desc'); // phones 1 to 9,999
    expect(wide).toMatchObject({ total: 9_998, totalCapped: false });
    expect(refs(wide)).toEqual(['LD-109999', 'LD-109998', 'LD-109997']);
    const walked: string[] = [];
    let cursor = '';
    do {
      const page = await list(`?q=%2B14150000&limit=200&sort=ref&order=asc${cursor}`);
      expect(page).toMatchObject({ total: 998, totalCapped: false });
      walked.push(...refs(page));
      cursor = page.nextCursor ? `&cursor=${page.nextCursor}` : '';
    } while (cursor);
    expect(walked).toHaveLength(998);
    expect(walked).toEqual([...walked].sort((x, y) => Number(x.slice(3)) - Number(y.slice(3))));
    expect(refs(await list('?q=%2B14150000&limit=200&page=3&sort=ref&order=asc'))).toEqual(
      walked.slice(400, 600),
    );
    expect(refs(await list('?q=%2B14150000&limit=200&page=6&sort=ref&order=asc'))).toEqual([]);
  });

  it('says so in the OpenAPI document', async () => {
    const list = (await t.request('/api/openapi.json')).body.paths['/api/crm/leads'].get;
    expect(JSON.stringify(list)).toContain('totalCapped');
  });
});
