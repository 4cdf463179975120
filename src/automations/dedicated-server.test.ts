import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantJobs } from '../testing/job-queue.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { jobContext, tenantHandle } from '../testing/job-context.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../testing/test-database.js';
import { resumeRunJobKind } from './engine/automation-session.js';
import { fireDueFollowUps } from './crm-triggers/automations.cron.js';
import { followUpReminderJobKind } from './crm-triggers/follow-up-reminder.job.js';
import { createMeetLinkJob } from './automations.jobs.js';
import { recordActionDetailOnce } from './runs/run.repository.js';

/**
 * A tenant on a dedicated server cannot share a transaction with the queue. Its automation
 * jobs must still exist exactly when the runs they continue do: never for a transaction that
 * rolled back, whether it failed for good or is run again after a deadlock.
 */
describe.skipIf(testDatabaseKind === 'pglite')(
  'automation jobs of a tenant on a dedicated server (Postgres only)',
  () => {
    let t: TestApp;
    let dedicated: TestDatabase;
    let a: TestTenant;
    let handle: TenantHandle;
    const createRule = async (rule: unknown) => {
      const res = await t.automations(a).post('/rules', rule);
      if (res.status !== 201) throw new Error(`rule not created: ${res.text}`);
      return res.body.data;
    };
    const jobsOfKind = async (kind: string) =>
      (await tenantJobs(t, a.tenant.id)).filter((job) => job.kind === kind);

    /**
     * Fails the commit of the next transaction that writes `table` (a deferred constraint
     * trigger raises at COMMIT, after every statement of the unit, enqueues included).
     */
    async function failNextCommit(table: string, event: 'insert' | 'update', code: string) {
      const name = sql.id(handle.schema, 'fail_next_commit');
      const sequence = `${handle.schema}.fail_next_commit_seq`;
      await sql`create sequence ${sql.id(handle.schema, 'fail_next_commit_seq')}`.execute(handle.db);
      await sql`create function ${name}() returns trigger language plpgsql as $$
        begin
          if nextval(${sql.lit(sequence)}) = 1 then
            raise exception 'injected commit failure' using errcode = ${sql.lit(code)};
          end if;
          return null;
        end $$`.execute(handle.db);
      await sql`create constraint trigger fail_next_commit after ${sql.raw(event)}
        on ${sql.id(handle.schema, table)} deferrable initially deferred
        for each row execute function ${name}()`.execute(handle.db);
      return async () => {
        await sql`drop trigger fail_next_commit on ${sql.id(handle.schema, table)}`.execute(handle.db);
        await sql`drop function ${name}()`.execute(handle.db);
        await sql`drop sequence ${sql.id(handle.schema, 'fail_next_commit_seq')}`.execute(handle.db);
      };
    }

    beforeAll(async () => {
      // No worker: jobs stay queued for the assertions. Webhook URLs are never called.
      t = await startTestApp({ ROLE: 'web', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
      dedicated = await createTestDatabase('postgres');
      a = await t.createTenant('autodedicated', { databaseUrl: dedicated.url, defaultCountry: 'IN' });
      handle = await tenantHandle(t, a.tenant.id);
      expect(handle.server).not.toBe(t.app.services.servers.defaultServer);
    });
    afterAll(async () => {
      await t?.close();
      await dedicated?.drop();
    });

    it('an event run again after a deadlock leaves only the jobs of the runs that committed', async () => {
      await createRule({
        name: 'Hook',
        trigger: 'form_submitted',
        actions: [{ type: 'call_webhook', url: 'http://127.0.0.1:9/hook' }],
      });
      const restore = await failNextCommit('automation_events', 'insert', '40P01');
      const res = await t.automations(a).post('/events', { trigger: 'form_submitted', phone: '9811100101' });
      await restore();
      expect(res.status).toBe(202);
      const { jobs, matchedRules } = res.body.data;
      expect(matchedRules).toHaveLength(1);

      const hooks = await jobsOfKind('automation.call_webhook');
      expect(hooks.map((job) => String(job.id))).toEqual([jobs[0].id]);
      expect(hooks[0]!.idempotency_key).toBe(`automation:${matchedRules[0].runId}:0`);
      const run = await handle.db
        .selectFrom('automation_runs')
        .select('job_ids')
        .where('id', '=', matchedRules[0].runId)
        .executeTakeFirst();
      expect(run?.job_ids).toEqual([jobs[0].id]);
    });

    it('a follow-up whose transaction rolls back queues no reminder; the next run does', async () => {
      await t.crm(a).post('/agents', { name: 'Asha' });
      await createRule({
        name: 'Due',
        trigger: 'follow_up_due',
        actions: [{ type: 'add_tag', tag: 'call-back' }],
      });
      const now = Date.now();
      const lead = (
        await t.crm(a).post('/leads', {
          name: 'Due lead',
          phone: '9811100102',
          followUpAt: new Date(now - 5 * 60_000).toISOString(),
        })
      ).body.data.lead;
      expect(lead.assignedAgentId).toEqual(expect.any(String));

      const restore = await failNextCommit('automation_events', 'insert', 'P0001');
      await expect(fireDueFollowUps(t.app.services, handle, new Date(now))).rejects.toThrow(
        'injected commit failure',
      );
      expect(await jobsOfKind(followUpReminderJobKind)).toEqual([]);
      await restore();

      expect(await fireDueFollowUps(t.app.services, handle, new Date(now))).toBe(1);
      const reminders = await jobsOfKind(followUpReminderJobKind);
      expect(reminders.map((job) => job.payload)).toEqual([expect.objectContaining({ leadId: lead.id })]);
    });

    it('a ready meeting whose run update rolls back queues no resumption; the next attempt does', async () => {
      await createRule({
        name: 'Meet',
        trigger: 'appointment_confirmed',
        actions: [
          { type: 'create_meet_link', title: 'Call', startAt: '2030-01-01T10:00:00Z' },
          { type: 'add_tag', tag: 'meeting' },
        ],
      });
      const res = await t.automations(a).post('/events', {
        trigger: 'appointment_confirmed',
        phone: '9811100103',
        createLeadIfMissing: true,
      });
      expect(res.status).toBe(202);
      const runId: string = res.body.data.matchedRules[0].runId;
      const [meetJob] = await jobsOfKind('automation.create_meet_link');
      // The meeting an earlier attempt of the job made, ready now.
      const meeting = await handle.db
        .insertInto('meetings')
        .values({
          title: 'Call',
          start_at: new Date('2030-01-01T10:00:00Z'),
          end_at: new Date('2030-01-01T10:30:00Z'),
          attendees: '[]',
          status: 'ready',
          hangout_link: 'https://meet.google.com/abc-defg-hij',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await handle.db
        .transaction()
        .execute((trx) => recordActionDetailOnce(trx, runId, 0, 'meetingId', { meetingId: meeting.id }));
      const runMeetJob = async () =>
        createMeetLinkJob.handler(
          await jobContext(t, a.tenant.id, createMeetLinkJob.kind, meetJob!.payload as never),
        );

      const restore = await failNextCommit('automation_runs', 'update', 'P0001');
      await expect(runMeetJob()).rejects.toThrow('injected commit failure');
      expect(await jobsOfKind(resumeRunJobKind)).toEqual([]);
      await restore();

      const done = (await runMeetJob()) as { resumeJobId: string };
      const resumes = await jobsOfKind(resumeRunJobKind);
      expect(resumes.map((job) => String(job.id))).toEqual([done.resumeJobId]);
      const run = await handle.db
        .selectFrom('automation_runs')
        .select('outcomes')
        .where('id', '=', runId)
        .executeTakeFirstOrThrow();
      expect((run.outcomes as { jobId?: string }[])[1]?.jobId).toBe(done.resumeJobId);
    });
  },
);
