import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../../testing/job-context.js';
import { startWorker, tenantJobs, waitForStatus } from '../../testing/job-queue.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import {
  assignPendingCron,
  fireDueFollowUps,
  fireDueReminders,
  internalEventsCron,
} from './automations.cron.js';
import { followUpReminderJobKind } from './follow-up-reminder.job.js';
import { followUpReminderJob } from '../automations.jobs.js';

describe('automation cron tasks', () => {
  let t: TestApp;
  let a: TestTenant;

  beforeAll(async () => {
    // No worker in the app: jobs stay queued for the assertions; tests that run them start one.
    t = await startTestApp({ ROLE: 'web' });
    a = await t.createTenant('crona', { defaultCountry: 'IN', timezone: 'Asia/Kolkata' });
  });
  afterAll(() => t?.close());

  it('fires follow_up_due once per due follow-up and queues a reminder for the owner', async () => {
    const agent = (await t.crm(a).post('/agents', { name: 'Asha' })).body.data;
    await t.automations(a).post('/rules', {
      name: 'Due',
      trigger: 'follow_up_due',
      actions: [{ type: 'add_tag', tag: 'call-back' }],
    });
    const now = Date.now();
    const lead = async (phone: string, minutesAgo: number) =>
      (
        await t.crm(a).post('/leads', {
          name: `Lead ${phone}`,
          phone,
          followUpAt: new Date(now - minutesAgo * 60_000).toISOString(),
        })
      ).body.data.lead;
    const due = await lead('9811100001', 5);
    const future = await lead('9811100002', -60);
    const stale = await lead('9811100003', 3 * 24 * 60);
    expect(due.assignedAgentId).toBe(agent.id);

    const handle = await tenantHandle(t, a.tenant.id);
    expect(await fireDueFollowUps(t.app.services, handle, new Date(now))).toBe(1);
    expect(await fireDueFollowUps(t.app.services, handle, new Date(now))).toBe(0);

    expect((await t.crm(a).get(`/leads/${due.id}`)).body.data.tags).toEqual(['call-back']);
    expect((await t.crm(a).get(`/leads/${future.id}`)).body.data.tags).toEqual([]);
    expect((await t.crm(a).get(`/leads/${stale.id}`)).body.data.tags).toEqual([]);
    const reminders = (await tenantJobs(t, a.tenant.id)).filter(
      (job) => job.kind === followUpReminderJobKind,
    );
    expect(reminders.map((job) => [job.payload, job.idempotency_key, job.status])).toEqual([
      [
        { leadId: due.id, agentId: agent.id, followUpAt: due.followUpAt },
        `follow_up:${due.id}:${Date.parse(due.followUpAt)}`,
        'queued',
      ],
    ]);
    // A real worker delivers it to the owner's room.
    const worker = await startWorker(t, [followUpReminderJob]);
    try {
      const done = await waitForStatus(t, a.tenant.id, String(reminders[0]!.id), 'succeeded');
      expect(done.result).toEqual({ notified: agent.id });
    } finally {
      await worker.stop();
    }

    // A new follow-up time is a new reminder.
    await t.crm(a).patch(`/leads/${due.id}`, { followUpAt: new Date(now - 60_000).toISOString() });
    expect(await fireDueFollowUps(t.app.services, handle, new Date(now))).toBe(1);
  });

  it('schedules appointment reminders from events (tenant-local time) and fires each once when due', async () => {
    const rule = (
      await t.automations(a).post('/rules', {
        name: 'Remind',
        trigger: 'appointment_reminder',
        reminderMinutesBefore: 60,
        actions: [{ type: 'add_note', body: 'Reminder: {{patientName}} with {{doctorName}}' }],
      })
    ).body.data;
    const event = await t.automations(a).post('/events', {
      trigger: 'appointment_confirmed',
      phone: '8143963821',
      createLeadIfMissing: true,
      variables: { patientName: 'Dhanesh', doctorName: 'Dr. Arjun', appointmentAt: '2030-01-01T10:00' },
    });
    // 10:00 in Asia/Kolkata is 04:30 UTC; one hour before is 03:30 UTC.
    expect(event.body.data.remindersScheduled).toEqual([
      { ruleId: rule.id, fireAt: '2030-01-01T03:30:00.000Z' },
    ]);

    const handle = await tenantHandle(t, a.tenant.id);
    expect(await fireDueReminders(t.app.services, handle, new Date('2030-01-01T03:29:00Z'))).toBe(0);
    expect(await fireDueReminders(t.app.services, handle, new Date('2030-01-01T03:31:00Z'))).toBe(1);
    expect(await fireDueReminders(t.app.services, handle, new Date('2030-01-01T03:32:00Z'))).toBe(0);

    const notes = await t.crm(a).get(`/leads/${event.body.data.lead.id}/notes`);
    expect(notes.body.data.items.map((note: any) => note.body)).toEqual(['Reminder: Dhanesh with Dr. Arjun']);
    const runs = await t.automations(a).get(`/runs?ruleId=${rule.id}`);
    expect(runs.body.data.items).toHaveLength(1);
    const run = await t.automations(a).get(`/runs/${runs.body.data.items[0].id}`);
    expect(run.body.data.event).toMatchObject({ trigger: 'appointment_reminder', source: 'cron' });
  });

  it('retries unassigned leads through the CRM assign-pending', async () => {
    const b = await t.createTenant('cronb', { defaultCountry: 'IN' });
    const lead = (await t.crm(b).post('/leads', { name: 'Waiting', phone: '9822200001' })).body.data.lead;
    expect(lead.assignedAgentId).toBeNull();
    const handle = await tenantHandle(t, b.tenant.id);
    // An agent that appears without the CRM offering waiting leads (e.g. imported).
    const agent = await handle.db
      .insertInto('agents')
      .values({ name: 'Late' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await assignPendingCron.run(t.app.services, new Date());
    expect((await t.crm(b).get(`/leads/${lead.id}`)).body.data.assignedAgentId).toBe(agent.id);
  });

  it('sweeps internal events that no process drained (a lead changed outside the CRM use cases)', async () => {
    const c = await t.createTenant('cronc', { defaultCountry: 'IN' });
    await t.automations(c).post('/rules', {
      name: 'Lost',
      trigger: 'deal_lost',
      actions: [{ type: 'add_note', body: 'Lost (was {{from}})' }],
    });
    // Inserted and changed by plain SQL: no lead event is published, nothing drains at once.
    const handle = await tenantHandle(t, c.tenant.id);
    const lead = await handle.db
      .insertInto('leads')
      .values({ phone: '+919833300001', first_name: 'Gone' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`update ${sql.id(handle.schema, 'leads')} set status = 'lost' where id = ${lead.id}`.execute(
      handle.db,
    );
    const pending = await handle.db.selectFrom('automation_outbox').select('trigger').orderBy('id').execute();
    // Only what an active rule watches is captured (lead_created, lead_status_changed are not).
    expect(pending.map((entry) => entry.trigger)).toEqual(['deal_lost']);
    await internalEventsCron.run(t.app.services, new Date());
    expect(
      (await t.crm(c).get(`/leads/${lead.id}/notes`)).body.data.items.map((note: any) => note.body),
    ).toEqual(['Lost (was new)']);
    const left = await handle.db.selectFrom('automation_outbox').select('id').execute();
    expect(left).toEqual([]);
  });
});
