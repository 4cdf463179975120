import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { tenantHandle } from '../testing/job-context.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { importBatchRows } from './import-leads.js';

describe('CSV lead import', () => {
  let t: TestApp;
  let a: TestTenant;
  const upload = (csv: string | Buffer, query = '', type = 'text/csv') =>
    t.request(`/api/crm/leads/import${query}`, {
      headers: { ...a.headers, 'content-type': type },
      body: csv,
    });
  const count = async () => (await t.crm(a).get('/leads?archived=all')).body.data.total;

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('importer', { defaultCountry: 'IN' });
    await t.crm(a).post('/agents', { name: 'Importer Agent' });
  });
  afterAll(() => t?.close());

  it('imports with BOM, CRLF, quoted commas, empty lines, aliases; reports bad and duplicate rows by line', async () => {
    const csv =
      '\uFEFFFull Name,Mobile,E-mail,Company,Tags\r\n' +
      '"Sharma, Priya",98111 11111,priya@tata.com,"Tata, Steel","hot;vip"\r\n' +
      '\r\n' +
      'Rahul Gupta,12,rahul@x.com,,\r\n' +
      'Sneha Iyer,9833333333,not-an-email,,\r\n' +
      'Priya again,+91 98111 11111,,,\r\n' +
      'Vikram Rao,9844444444,,,\r\n';
    const res = await upload(csv);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ rows: 5, created: 2, duplicates: 1, failed: 2 });
    expect(res.body.data.errors).toEqual([
      { line: 4, reason: expect.stringContaining('phone') },
      { line: 5, reason: expect.stringContaining('email') },
    ]);
    const priya = (await t.crm(a).get('/leads?q=tata')).body.data.items[0];
    expect(priya).toMatchObject({
      firstName: 'Sharma,',
      lastName: 'Priya',
      phone: '+919811111111',
      company: 'Tata, Steel',
      tags: ['hot', 'vip'],
      assignedAgentId: expect.any(String),
    });
  });

  it('accepts a multipart upload, an explicit mapping and assign=false', async () => {
    const form = new FormData();
    form.append(
      'file',
      new Blob(['Customer,Contact No\nMeera,9855555555\n'], { type: 'text/csv' }),
      'leads.csv',
    );
    const mapping = encodeURIComponent(JSON.stringify({ name: 'Customer', phone: 'Contact No' }));
    const response = await fetch(`${t.baseUrl}/api/crm/leads/import?assign=false&mapping=${mapping}`, {
      method: 'POST',
      headers: a.headers,
      body: form,
    });
    const body = (await response.json()) as any;
    expect(response.status).toBe(200);
    expect(body.data).toMatchObject({ rows: 1, created: 1, failed: 0 });
    const meera = (await t.crm(a).get('/leads?q=meera')).body.data.items[0];
    expect(meera).toMatchObject({
      phone: '+919855555555',
      assignedAgentId: null,
      unassignedReason: 'assignment_skipped',
    });
  });

  /** `rows` data rows (line = index + 2); `phoneOf` picks each row's phone index. */
  const fileOf = (rows: number, phoneOf: (i: number) => number, extra: (i: number) => string = () => '') =>
    ['Name,Mobile,Email']
      .concat(
        Array.from(
          { length: rows },
          (_, i) => `Row ${i},97${String(phoneOf(i)).padStart(8, '0')},${extra(i)}`,
        ),
      )
      .join('\n');

  it('handles phones repeated across batches written at once as duplicates, in file order', async () => {
    const tenant = await t.createTenant('importrepeat', { defaultCountry: 'IN' });
    const rows = importBatchRows * 2 + 100;
    // Row 600 and row 1,050 repeat row 10's phone; the first email given (row 600's) fills the lead.
    const repeats = new Set([importBatchRows + 100, importBatchRows * 2 + 50]);
    const csv = fileOf(
      rows,
      (i) => (repeats.has(i) ? 10 : i),
      (i) => (repeats.has(i) ? `row${i}@example.com` : ''),
    );
    const res = await t.request('/api/crm/leads/import?mode=sync&assign=false', {
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ rows, created: rows - 2, duplicates: 2, failed: 0 });
    const { db } = await tenantHandle(t, tenant.tenant.id);
    const lead = await db
      .selectFrom('leads')
      .select(['id', 'first_name', 'email'])
      .where('phone', '=', '+919700000010')
      .execute();
    expect(lead).toEqual([
      { id: expect.any(String), first_name: 'Row', email: `row${importBatchRows + 100}@example.com` },
    ]);
    const logged = await db
      .selectFrom('lead_activities')
      .select('kind')
      .where('lead_id', '=', lead[0]!.id)
      .orderBy('id')
      .execute();
    expect(logged.map((entry) => entry.kind)).toEqual(['created', 'duplicate', 'duplicate']);
  });

  it('a batch the database refuses as a whole goes row by row; the batch written beside it waits and is kept', async () => {
    const tenant = await t.createTenant('importrefused', { defaultCountry: 'IN' });
    const { db, schema } = await tenantHandle(t, tenant.tenant.id);
    // A rule the database enforces and the API does not know: one row of the first batch breaks it.
    await sql`alter table ${sql.id(schema, 'leads')} add constraint test_refused
      check (last_name is distinct from 'Refused')`.execute(db);
    const rows = importBatchRows * 3;
    const csv = fileOf(rows, (i) => i).replace('Row 7,', 'Row Refused,');
    const res = await t.request('/api/crm/leads/import?mode=sync&assign=false', {
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ rows, created: rows - 1, duplicates: 0, failed: 1 });
    expect(res.body.data.errors).toEqual([{ line: 9, reason: expect.any(String) }]);
    const stored = await db
      .selectFrom('leads')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(rows - 1);
  });

  it('refuses a broken file before writing anything', async () => {
    const before = await count();
    const noPhone = await upload('name,email\nA,a@b.co\n');
    expect(noPhone.status).toBe(400);
    expect(noPhone.body.error.code).toBe('invalid_file');
    expect((await upload('')).status).toBe(400);
    expect((await upload(Buffer.from([0, 159, 146, 150, 1, 2]))).status).toBe(400);
    expect((await upload('{"phone": "9866666666"}', '', 'application/json')).status).toBe(415);
    expect((await upload('phone\n9866666666\n', '', 'application/xml')).status).toBe(415);
    expect((await upload('x,phone\n1,9866666666\n', '?mapping=%7Bbad')).status).toBe(400);
    expect(await count()).toBe(before);
  });
});
