import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../http/app-error.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { dataOf } from '../testing/tenant-client.js';
import { normalisePhone } from './phone.js';

const validIn = (raw: string, country?: CountryCode) =>
  parsePhoneNumberFromString(raw, country)?.isValid() ?? false;

describe('normalisePhone: national first, then international digits without +', () => {
  it('reads a number valid for the default country as national', () => {
    expect(normalisePhone('98765 43210', 'IN')).toBe('+919876543210');
    expect(normalisePhone('(202) 555-0143', 'US')).toBe('+12025550143');
    expect(normalisePhone('+91 81439 63821', 'US')).toBe('+918143963821');
  });

  it('accepts the wa_id form (country code without +) when the number is invalid nationally', () => {
    expect(validIn('918143963821', 'US')).toBe(false);
    expect(normalisePhone('918143963821', 'US')).toBe('+918143963821');
    expect(normalisePhone('49 151 12345678', 'US')).toBe('+4915112345678');
    expect(normalisePhone('447911123456', 'IN')).toBe('+447911123456');
  });

  it('keeps a number valid both ways national (the strict national parse comes first)', () => {
    // 361-234-5678 is a US number; +36 1 234 5678 is a Budapest one.
    expect(validIn('3612345678', 'US')).toBe(true);
    expect(validIn('+3612345678')).toBe(true);
    expect(normalisePhone('3612345678', 'US')).toBe('+13612345678');
    // 91 81439 63821 is also an Indian number written with its country code, for an Indian tenant.
    expect(normalisePhone('918143963821', 'IN')).toBe('+918143963821');
  });

  it('refuses what is valid neither way, naming the field', () => {
    for (const raw of ['12', '9876543210', '+1918143963821', 'call 918143963821', '']) {
      let error: unknown;
      try {
        normalisePhone(raw, 'US', 'body.leadData.phone');
      } catch (caught) {
        error = caught;
      }
      expect(error, raw).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('validation_failed');
      expect((error as AppError).details).toEqual([
        { path: 'body.leadData.phone', message: expect.stringContaining('Not a valid phone number for US') },
      ]);
    }
  });
});

describe('international phones without + on every route that takes a phone', () => {
  let t: TestApp;
  let us: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    us = await t.createTenant(undefined, { defaultCountry: 'US' });
  });
  afterAll(() => t?.close());

  it("runs the design card's trigger example on a US tenant", async () => {
    const res = await t.automations(us).post('/events', {
      trigger: 'appointment_confirmed',
      phone: '918143963821',
      variables: { patientName: 'Dhanesh', doctorName: 'Dr. Arjun', time: 'Monday 10AM' },
      createLeadIfMissing: true,
      leadData: { source: 'website' },
      eventId: 'appt-7781',
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body.data).toMatchObject({ leadCreated: true, lead: { phone: '+918143963821' } });
  });

  it('ingest, PATCH, contacts and CSV import apply the same rule', async () => {
    const created = dataOf(await t.crm(us).post('/leads', { firstName: 'Wa', phone: '4915112345678' }), 201);
    expect(created.lead.phone).toBe('+4915112345678');
    // The same number in its national US reading would be another one: national wins.
    const national = dataOf(await t.crm(us).post('/leads', { firstName: 'Both', phone: '3612345678' }), 201);
    expect(national.lead.phone).toBe('+13612345678');

    const patched = dataOf(await t.crm(us).patch(`/leads/${national.lead.id}`, { phone: '447911123456' }));
    expect(patched.phone).toBe('+447911123456');

    const contact = dataOf(
      await t.crm(us).post('/contacts', { firstName: 'C', phone: '61 412 345 678' }),
      201,
    );
    expect(contact.phone).toBe('+61412345678');

    const csv = 'name,phone\nIndia,918143963822\nGermany again,49 151 12345678\nNowhere,12\n';
    const imported = await t.request('/api/crm/leads/import', {
      headers: { ...us.headers, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(imported.status, imported.text).toBe(200);
    expect(imported.body.data).toMatchObject({ rows: 3, created: 1, duplicates: 1, failed: 1 });
    expect(imported.body.data.errors).toEqual([{ line: 4, reason: expect.stringContaining('phone') }]);
    const india = (await t.crm(us).get('/leads?q=India')).body.data.items[0];
    expect(india.phone).toBe('+918143963822');

    const refused = await t.crm(us).post('/leads', { firstName: 'Bad', phone: '9876543210' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'body.phone', message: expect.stringContaining('Not a valid phone number for US') }],
    });
  });
});
