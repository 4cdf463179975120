import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { tenantHandle } from '../testing/job-context.js';
import { startSmtpSink } from '../testing/smtp-sink.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { testDatabaseKind } from '../testing/test-database.js';

/** `rows` leads with distinct phones and emails. */
function csvOf(rows: number): string {
  const lines = ['Name,Mobile,Email'];
  for (let i = 0; i < rows; i++)
    lines.push(`Lead ${i},96${String(i).padStart(8, '0')},lead${i}@example.test`);
  return lines.join('\n') + '\n';
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check());) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// PGlite is embedded in one process: a second process cannot open the same database.
describe.skipIf(testDatabaseKind === 'pglite')('a process killed with SIGKILL in the middle of work', () => {
  let t: TestApp;
  const processes: ServerProcess[] = [];

  /** A web-and-worker process on the test app's database, with a short lease so its work is reclaimed fast. */
  const startProcess = async () => {
    const started = startServerProcess({
      ROLE: 'all',
      DATABASE_URL: t.database.url!,
      DATA_DIR: t.database.dataDir,
      SECRETS_KEY: t.config.secrets.currentKey.toString('base64'),
      PLATFORM_ADMIN_TOKEN: t.config.platformAdminToken,
      JOB_LEASE_MS: '1000',
      JOB_POLL_MS: '200',
    });
    processes.push(started);
    await started.listening;
    return started;
  };
  const kill = async (victim: ServerProcess) => {
    victim.child.kill('SIGKILL');
    await victim.exit;
  };

  beforeAll(async () => {
    // Web only: the work runs in the child processes.
    t = await startTestApp({ ROLE: 'web' });
  });
  // Each test's processes end with it: a survivor would otherwise work on the next test's jobs.
  afterEach(async () => {
    for (const started of processes) started.child.kill('SIGKILL');
    await Promise.all(processes.splice(0).map((started) => started.exit));
  });
  afterAll(async () => {
    await t?.close();
  });

  const leadCount = async (tenant: TestTenant) => {
    const { db } = await tenantHandle(t, tenant.tenant.id);
    const row = await db
      .selectFrom('leads')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };

  it('a background import finishes after a restart: every row counted once, no lead created twice', async () => {
    const tenant = await t.createTenant('crashimport', { defaultCountry: 'IN' });
    const rows = 20_000;
    const accepted = await t.request('/api/crm/leads/import?mode=background&assign=false', {
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body: csvOf(rows),
    });
    expect(accepted.status).toBe(202);
    const id = accepted.body.data.id as string;
    const progress = async () => (await t.crm(tenant).get(`/imports/${id}`)).body.data;

    const first = await startProcess();
    await until(async () => (await progress()).total > 0, 60_000, 'the first committed batch');
    await kill(first);
    const atKill = await progress();
    expect(atKill.status).toBe('running');
    expect(atKill.total).toBeLessThan(rows);

    await startProcess();
    await until(async () => (await progress()).status !== 'running', 120_000, 'the import to finish');
    expect(await progress()).toMatchObject({
      status: 'completed',
      total: rows,
      created: rows,
      duplicates: 0,
      failed: 0,
    });
    expect(await leadCount(tenant)).toBe(rows);
  }, 200_000);

  it('a campaign killed mid-expansion, a send with the SMTP server, finishes after a restart: every recipient has one row, no one gets two emails', async () => {
    const smtp = await startSmtpSink({ user: 'mailer', password: 'secret' });
    try {
      const tenant = await t.createTenant('crashmail', { defaultCountry: 'IN' });
      const secret = await t.request(`/api/platform/tenants/crashmail/secrets/smtp`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${testAdminToken}` },
        body: {
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
          user: 'mailer',
          password: 'secret',
          fromAddress: 'sales@crash.test',
        },
      });
      expect(secret.status).toBe(200);
      const template = await t.crm(tenant).post('/email/templates', {
        name: 'Hello',
        subject: 'Hello {{firstName}}',
        html: '<p>Hi</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
      });
      expect(template.status).toBe(201);
      // 20 expansion batches of 100 (each queues the next at once; their sends are due 0.5 s apart).
      const recipients = 2000;
      const imported = await t.request('/api/crm/leads/import?mode=sync&assign=false', {
        headers: { ...tenant.headers, 'content-type': 'text/csv' },
        body: csvOf(recipients),
      });
      expect(imported.body.data).toMatchObject({ created: recipients });

      const created = await t.crm(tenant).post('/email/campaigns', {
        name: 'Crash',
        templateId: template.body.data.id,
        ratePerMinute: 12_000,
      });
      expect(created.status).toBe(201);
      const id = created.body.data.id as string;
      const campaign = async () => (await t.crm(tenant).get(`/email/campaigns/${id}`)).body.data;

      // The sink keeps what arrives unanswered: the process is killed while the SMTP server has a
      // message it never heard back about (the window where a retry would deliver it twice).
      const release = smtp.holdAnswers();
      const first = await startProcess();
      await until(async () => smtp.received.length > 0, 60_000, 'the first send');
      await kill(first);
      release();
      const atKill = (await campaign()).progress;
      expect(atKill.sent).toBe(0);
      expect(atKill.total).toBeLessThan(recipients);
      const cutOff = smtp.received.length;

      await startProcess();
      await until(async () => (await campaign()).status === 'completed', 120_000, 'the campaign to finish');
      const done = await campaign();
      expect(done.progress).toMatchObject({ total: recipients, queued: 0, skipped: 0, suppressed: 0 });
      expect(done.progress.sent + done.progress.failed).toBe(recipients);
      // The sends the kill cut off end failed (they may have arrived); every other one is sent.
      expect(done.progress.failed).toBeGreaterThanOrEqual(cutOff);
      expect(done.progress.failed).toBeLessThan(recipients / 10);

      const mailsTo = new Map<string, number>();
      for (const mail of smtp.received) for (const to of mail.to) mailsTo.set(to, (mailsTo.get(to) ?? 0) + 1);
      expect([...mailsTo.values()].filter((count) => count > 1)).toEqual([]);
      // Every recipient recorded as sent got its email; one cut off mid-send is failed, never sent twice.
      const { db } = await tenantHandle(t, tenant.tenant.id);
      const sent = await db
        .selectFrom('email_messages')
        .select('to_address')
        .where('campaign_id', '=', id)
        .where('status', '=', 'sent')
        .execute();
      for (const { to_address } of sent) expect(mailsTo.get(to_address)).toBe(1);
    } finally {
      await smtp.close();
    }
  }, 200_000);
});
