import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

describe('working calendars through the API', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('cala', { timezone: 'Asia/Kolkata' });
    b = await t.createTenant('calb');
  });
  afterAll(() => t?.close());

  const day = [['10:00', '19:00']];

  it('answers the built-in default, then the stored one, and computes deadlines across a weekend and a holiday', async () => {
    const builtIn = dataOf(await t.crm(a).get('/calendars/default'));
    expect(builtIn).toMatchObject({ id: null, timezone: 'Asia/Kolkata', holidays: [], isDefault: true });
    expect(Object.keys(builtIn.intervals)).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat']);
    // Built-in: Saturday works. Sat 2026-01-10 18:00 IST (12:30Z) + 2 h → Mon 11:00 IST.
    expect(
      dataOf(await t.crm(a).get('/calendars/default/deadline?start=2026-01-10T12:30:00Z&duration=PT2H')),
    ).toEqual({ deadline: '2026-01-12T05:30:00.000Z', calendarId: null, timezone: 'Asia/Kolkata' });

    const stored = dataOf(
      await t.crm(a).put('/calendars/default', {
        timezone: 'Europe/London',
        intervals: { mon: day, tue: day, wed: day, thu: day, fri: day },
        holidays: ['2026-01-12', '--12-25'],
      }),
    );
    expect(stored).toMatchObject({
      timezone: 'Europe/London',
      isDefault: true,
      holidays: ['2026-01-12', '--12-25'],
    });
    expect(dataOf(await t.crm(a).get('/calendars/default')).id).toBe(stored.id);
    // Fri 2026-01-09 18:00 London + PT2H: weekend, Monday the 12th a holiday → Tue 11:00.
    expect(
      dataOf(await t.crm(a).get('/calendars/default/deadline?start=2026-01-09T18:00:00Z&duration=PT2H')),
    ).toEqual({ deadline: '2026-01-13T11:00:00.000Z', calendarId: stored.id, timezone: 'Europe/London' });
    // P1DT4H = 28 h of working time: 3 days of 9 h and 1 h.
    expect(
      dataOf(
        await t.crm(a).get(`/calendars/${stored.id}/deadline?start=2026-01-13T10:00:00Z&duration=P1DT4H`),
      ).deadline,
    ).toBe('2026-01-16T11:00:00.000Z');
    expect(
      dataOf(
        await t
          .crm(a)
          .get('/calendars/default/business-time?from=2026-01-09T00:00:00Z&to=2026-01-14T00:00:00Z'),
      ),
    ).toEqual({ businessMs: 18 * 3_600_000 });

    // Saving again replaces the same row (one default per tenant).
    const again = dataOf(
      await t.crm(a).put('/calendars/default', { timezone: 'Europe/London', intervals: { mon: day } }),
    );
    expect(again.id).toBe(stored.id);
    expect(again.holidays).toEqual([]);
  });

  it('keeps other calendars, per team optional, and isolates tenants', async () => {
    const team = dataOf(await t.crm(a).post('/teams', { name: 'Night shift' }), 201);
    const night = dataOf(
      await t.crm(a).post('/calendars', {
        name: 'Nights',
        teamId: team.id,
        timezone: 'America/New_York',
        intervals: { sun: [['00:00', '06:00']] },
      }),
      201,
    );
    expect(night).toMatchObject({ name: 'Nights', teamId: team.id, isDefault: false });
    expect(dataOf(await t.crm(a).get(`/calendars/${night.id}`))).toEqual(night);
    // The DST night of 2026-11-01: 7 h of real time.
    expect(
      dataOf(
        await t
          .crm(a)
          .get(`/calendars/${night.id}/business-time?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z`),
      ),
    ).toEqual({ businessMs: 7 * 3_600_000 });
    const renamed = dataOf(
      await t.crm(a).put(`/calendars/${night.id}`, {
        name: 'Late',
        teamId: null,
        timezone: 'America/New_York',
        intervals: { sun: [['00:00', '06:00']] },
      }),
    );
    expect(renamed).toMatchObject({ name: 'Late', teamId: null });
    expect(dataOf(await t.crm(a).get('/calendars')).items.map((c: { id: string }) => c.id)).toContain(
      night.id,
    );

    // Tenant B cannot see, change, use or delete tenant A's calendar.
    expect((await t.crm(b).get(`/calendars/${night.id}`)).status).toBe(404);
    expect(
      (await t.crm(b).get(`/calendars/${night.id}/deadline?start=2026-01-01T00:00:00Z&duration=PT1H`)).status,
    ).toBe(404);
    expect((await t.crm(b).delete(`/calendars/${night.id}`)).status).toBe(404);
    expect(dataOf(await t.crm(b).get('/calendars/default')).id).toBeNull();

    expect(dataOf(await t.crm(a).delete(`/calendars/${night.id}`))).toEqual({ id: night.id, deleted: true });
    expect((await t.crm(a).get(`/calendars/${night.id}`)).status).toBe(404);
    // A team of another tenant (or none) is refused.
    const foreign = await t.crm(b).post('/calendars', {
      name: 'X',
      teamId: team.id,
      timezone: 'UTC',
      intervals: { mon: day },
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.details[0].path).toBe('body.teamId');
  });

  it('refuses bad input with 400 naming the field, never a 500', async () => {
    const bad = async (body: unknown, path: string) => {
      const response = await t.crm(a).put('/calendars/default', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(response.body.error.details.map((d: { path: string }) => d.path).join(' ')).toContain(path);
    };
    const intervals = { mon: day };
    await bad({ timezone: 'Mars/Olympus', intervals }, 'body.timezone');
    await bad({ timezone: 'UTC', intervals: { mon: [['9:00', '19:00']] } }, 'body.intervals.mon');
    await bad({ timezone: 'UTC', intervals: { mon: [['19:00', '10:00']] } }, 'body.intervals.mon');
    await bad({ timezone: 'UTC', intervals: { mon: [['10:00', '24:01']] } }, 'body.intervals.mon');
    await bad(
      {
        timezone: 'UTC',
        intervals: {
          mon: [
            ['10:00', '14:00'],
            ['13:00', '19:00'],
          ],
        },
      },
      'body.intervals.mon',
    );
    await bad({ timezone: 'UTC', intervals: { monday: day } }, 'body.intervals');
    await bad({ timezone: 'UTC', intervals: {} }, 'body.intervals');
    await bad({ timezone: 'UTC', intervals, holidays: ['2026-02-30'] }, 'body.holidays.0');
    await bad({ timezone: 'UTC', intervals, holidays: ['12-25'] }, 'body.holidays.0');
    await bad({ timezone: 'UTC', intervals, colour: 'red' }, 'body');

    const query = async (url: string, param: string) => {
      const response = await t.crm(a).get(url);
      expect(response.status, url).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(response.body.error.details[0].path).toBe(param);
    };
    await query('/calendars/default/deadline?start=2026-01-09T18:00:00Z&duration=P1M', 'query.duration');
    await query('/calendars/default/deadline?start=2026-01-09T18:00:00Z&duration=2h', 'query.duration');
    await query('/calendars/default/deadline?start=2026-01-09T18:00:00Z&duration=P9999D', 'query.duration');
    await query('/calendars/default/deadline?start=yesterday&duration=PT1H', 'query.start');
    await query('/calendars/default/deadline?duration=PT1H', 'query.start');
    await query('/calendars/default/business-time?from=2026-01-09&to=2026-01-10T00:00:00Z', 'query.from');
    expect(
      (await t.crm(a).get('/calendars/nope/deadline?start=2026-01-09T18:00:00Z&duration=PT1H')).status,
    ).toBe(400);
  });

  it('lets readers compute deadlines but only settings managers change calendars', async () => {
    const agent = dataOf(await t.crm(a).post('/agents', { name: 'Agent Cal' }), 201);
    const user = tenantClient(
      t.request,
      '/api/crm',
      (await addTestUser(t, a, { role: 'agent', agentId: agent.id })).headers,
    );
    expect(
      (await user.get('/calendars/default/deadline?start=2026-01-09T18:00:00Z&duration=PT1H')).status,
    ).toBe(200);
    expect((await user.put('/calendars/default', { timezone: 'UTC', intervals: { mon: day } })).status).toBe(
      403,
    );
  });
});
