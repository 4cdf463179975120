import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

describe('lead list, search, bulk and stats', () => {
  let t: TestApp;
  let a: TestTenant;
  let agents: string[];
  const leads: Record<string, any> = {};
  const names = async (query: string) => {
    const res = await t.crm(a).get(`/leads?${query}&limit=200&sort=ref&order=asc`);
    expect(res.status).toBe(200);
    return res.body.data.items.map((lead: any) => lead.firstName);
  };

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('listing', { defaultCountry: 'IN' });
    agents = [];
    for (const name of ['Ann', 'Bob']) agents.push((await t.crm(a).post('/agents', { name })).body.data.id);
    const rows = [
      {
        name: 'Priya Sharma',
        phone: '9811111111',
        email: 'priya@tata.com',
        company: 'Tata Steel',
        source: 'website',
        city: 'Mumbai',
        state: 'Maharashtra',
        tags: ['enterprise'],
        assignedAgentId: agents[0],
      },
      {
        name: 'Rahul Gupta',
        phone: '9822222222',
        email: 'rahul@gmail.com',
        source: 'facebook',
        city: 'Pune',
        state: 'Maharashtra',
        tags: ['hot', 'urgent'],
        assignedAgentId: agents[1],
      },
      {
        name: 'Sneha Iyer',
        phone: '9833333333',
        source: 'referral',
        city: 'Chennai',
        state: 'Tamil Nadu',
        tags: ['urgent'],
        followUpAt: '2020-01-01T10:00:00Z',
        assign: false,
      },
      {
        name: 'Vikram Rao',
        phone: '9844444444',
        source: 'whatsapp',
        city: 'Bengaluru',
        state: 'Karnataka',
        followUpAt: '2999-01-01T10:00:00Z',
        assign: false,
      },
      {
        name: 'Old Lead',
        phone: '9855555555',
        source: 'website',
        city: 'Pune',
        state: 'Maharashtra',
        assign: false,
      },
    ];
    for (const row of rows) {
      const res = await t.crm(a).post('/leads', row);
      expect(res.status).toBe(201);
      leads[row.name.split(' ')[0]!] = res.body.data.lead;
    }
    await t.crm(a).patch(`/leads/${leads.Rahul.id}`, { status: 'won' });
    await t.crm(a).delete(`/leads/${leads.Old.id}`);
    // Backdate one lead to test date ranges.
    const handle = (await t.app.services.authenticator.authenticate('listing', a.apiKey)).handle;
    await sql`update ${sql.id(handle.schema, 'leads')} set created_at = '2024-01-15T00:00:00Z', updated_at = '2024-01-16T00:00:00Z' where id = ${leads.Vikram.id}`.execute(
      handle.db,
    );
  });
  afterAll(() => t?.close());

  it('filters by every field', async () => {
    expect(await names('')).toEqual(['Priya', 'Rahul', 'Sneha', 'Vikram']);
    expect(await names('status=won')).toEqual(['Rahul']);
    expect(await names('status=new,won')).toEqual(['Priya', 'Rahul', 'Sneha', 'Vikram']);
    expect(await names('source=referral&source=whatsapp')).toEqual(['Sneha', 'Vikram']);
    expect(await names(`agentId=${agents[0]}`)).toEqual(['Priya']);
    expect(await names('agentId=unassigned')).toEqual(['Sneha', 'Vikram']);
    expect(await names('state=maharashtra')).toEqual(['Priya', 'Rahul']);
    expect(await names('city=Pune,Chennai')).toEqual(['Rahul', 'Sneha']);
    expect(await names('tags=urgent,enterprise')).toEqual(['Priya', 'Rahul', 'Sneha']);
    expect(await names('tags=hot,urgent&tagsMode=all')).toEqual(['Rahul']);
    expect(await names('tags=urgent&city=PUNE,chennai')).toEqual(['Rahul', 'Sneha']);
    expect(await names('tags=enterprise&city=pune')).toEqual([]);
    expect(await names('scoreMin=70&scoreMax=90')).toEqual(['Rahul', 'Sneha']);
    expect(await names('hot=true')).toEqual(['Priya', 'Rahul', 'Sneha']);
    expect(await names('createdTo=2024-12-31')).toEqual(['Vikram']);
    expect(await names('createdFrom=2025-01-01')).toEqual(['Priya', 'Rahul', 'Sneha']);
    expect(await names('updatedFrom=2024-01-01&updatedTo=2024-02-01')).toEqual(['Vikram']);
    expect(await names('followUpDue=true')).toEqual(['Sneha']);
    expect(await names('followUpDue=false')).toEqual(['Priya', 'Rahul', 'Vikram']);
    expect(await names('archived=true')).toEqual(['Old']);
    expect(await names('archived=all')).toEqual(['Priya', 'Rahul', 'Sneha', 'Vikram', 'Old']);
  });

  it('searches names, phones, emails and companies (words and substrings)', async () => {
    expect(await names('q=priya')).toEqual(['Priya']);
    expect(await names('q=Tata%20Steel')).toEqual(['Priya']);
    expect(await names('q=gupt')).toEqual(['Rahul']);
    expect(await names('q=98333')).toEqual(['Sneha']);
    expect(await names('q=%2B91%2098444')).toEqual(['Vikram']);
    expect(await names('q=gmail.com')).toEqual(['Rahul']);
    expect(await names('q=nobody-here')).toEqual([]);
    expect(await names('q=100%25')).toEqual([]);
  });

  it('paginates with cursors and pages, sorts by whitelisted fields, counts the total', async () => {
    const first = await t.crm(a).get('/leads?limit=3&sort=score&order=desc');
    expect(first.body.data.total).toBe(4);
    expect(first.body.data.items).toHaveLength(3);
    const scores = first.body.data.items.map((lead: any) => lead.score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
    const second = await t
      .crm(a)
      .get(`/leads?limit=3&sort=score&order=desc&cursor=${first.body.data.nextCursor}`);
    expect(second.body.data.items).toHaveLength(1);
    expect(second.body.data.nextCursor).toBeNull();
    const seen = [...first.body.data.items, ...second.body.data.items].map((lead: any) => lead.id);
    expect(new Set(seen).size).toBe(4);

    const tagged = await t
      .crm(a)
      .get('/leads?tags=urgent,enterprise&city=Pune,chennai,MUMBAI&sort=score&limit=2');
    expect(tagged.body.data.total).toBe(3);
    const taggedNext = await t
      .crm(a)
      .get(
        `/leads?tags=urgent,enterprise&city=Pune,chennai,MUMBAI&sort=score&limit=2&cursor=${tagged.body.data.nextCursor}`,
      );
    expect(taggedNext.body.data.nextCursor).toBeNull();
    const taggedScores = [...tagged.body.data.items, ...taggedNext.body.data.items].map(
      (lead: any) => lead.score,
    );
    expect(taggedScores).toHaveLength(3);
    expect([...taggedScores].sort((x, y) => y - x)).toEqual(taggedScores);

    const byDate = await t.crm(a).get('/leads?limit=2');
    const next = await t.crm(a).get(`/leads?limit=2&cursor=${byDate.body.data.nextCursor}`);
    expect([...byDate.body.data.items, ...next.body.data.items].map((lead: any) => lead.id)).toEqual(
      (await t.crm(a).get('/leads?limit=4')).body.data.items.map((lead: any) => lead.id),
    );
    const page2 = await t.crm(a).get('/leads?limit=3&page=2&sort=ref&order=asc');
    expect(page2.body.data.items.map((lead: any) => lead.firstName)).toEqual(['Vikram']);

    expect((await t.crm(a).get('/leads?sort=phone')).status).toBe(400);
    expect((await t.crm(a).get('/leads?cursor=garbage')).status).toBe(400);
    expect((await t.crm(a).get('/leads?status=bogus')).status).toBe(400);
    expect((await t.crm(a).get('/leads?limit=0')).status).toBe(400);
  });

  it('bulk operations report per id', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const status = await t.crm(a).post('/leads/bulk/status', {
      ids: [leads.Priya.id, leads.Rahul.id, unknown],
      status: 'contacted',
    });
    expect(status.status).toBe(200);
    expect(status.body.data).toMatchObject({ succeeded: 1, failed: 2 });
    expect(status.body.data.results).toEqual([
      { id: leads.Priya.id, ok: true },
      {
        id: leads.Rahul.id,
        ok: false,
        error: expect.objectContaining({ code: 'invalid_status_transition' }),
      },
      { id: unknown, ok: false, error: expect.objectContaining({ code: 'not_found' }) },
    ]);
    const assign = await t.crm(a).post('/leads/bulk/assign', {
      ids: [leads.Sneha.id, leads.Vikram.id],
      agentId: agents[1],
    });
    expect(assign.body.data.succeeded).toBe(2);
    expect(await names(`agentId=${agents[1]}`)).toEqual(['Rahul', 'Sneha', 'Vikram']);
    const tags = await t.crm(a).post('/leads/bulk/tags', {
      ids: [leads.Sneha.id, leads.Vikram.id],
      add: ['vip'],
      remove: ['urgent'],
    });
    expect(tags.body.data.succeeded).toBe(2);
    expect(await names('tags=vip&tagsMode=all')).toEqual(['Sneha', 'Vikram']);
    expect(await names('tags=urgent')).toEqual(['Rahul']);
    expect((await t.crm(a).post('/leads/bulk/tags', { ids: [leads.Sneha.id] })).status).toBe(400);
    const archive = await t.crm(a).post('/leads/bulk/archive', { ids: [leads.Vikram.id] });
    expect(archive.body.data.succeeded).toBe(1);
    expect(await names('archived=true')).toEqual(['Vikram', 'Old']);
    expect((await t.crm(a).post('/leads/bulk/archive', { ids: [] })).status).toBe(400);
  });

  it('reports stats over a date range', async () => {
    const stats = (await t.crm(a).get('/leads/stats')).body.data;
    expect(stats.total).toBe(3);
    expect(stats.byStatus).toEqual({ contacted: 1, won: 1, new: 1 });
    expect(stats.bySource).toEqual({ website: 1, facebook: 1, referral: 1 });
    expect(stats.won).toBe(1);
    expect(stats.conversionRate).toBeCloseTo(1 / 3);
    // Sneha lost her 'urgent' tag in the bulk test: 70 is not above the threshold.
    expect(stats.hotLeads).toBe(2);
    expect(stats.byAgent.find((row: any) => row.agentId === agents[1]).count).toBe(2);
    const old = (await t.crm(a).get('/leads/stats?to=2024-12-31')).body.data;
    expect(old).toMatchObject({ total: 0, conversionRate: 0, averageScore: null });
  });

  it('scores with tenant weights', async () => {
    const settings = (await t.crm(a).get('/scoring')).body.data;
    expect(settings).toMatchObject({ base: 50, hotThreshold: 70, sources: { referral: 20 } });
    const changed = await t.crm(a).put('/scoring', { base: 10, sources: { tiktok: 50 }, hotThreshold: 55 });
    expect(changed.body.data).toMatchObject({ base: 10, hotThreshold: 55, companyPresent: 10 });
    const lead = (
      await t.crm(a).post('/leads', {
        name: 'Tik',
        phone: '9866666666',
        source: 'TikTok',
        company: 'X',
        assign: false,
      })
    ).body.data.lead;
    expect(lead).toMatchObject({ score: 70, hot: true });
    const bad = await t.crm(a).put('/scoring', { base: 500 });
    expect(bad.status).toBe(400);
  });
});
