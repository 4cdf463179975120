import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeInStages } from '../pipelines/index.js';
import { tenantHandle } from '../testing/job-context.js';
import { addTestDealPipeline } from '../testing/pipelines.js';
import { dataOf } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { seededRandom as random } from '../testing/seeded-random.js';

/**
 * Issue 19's property: over random histories, a deal's time in its stages adds up to now − its
 * creation, to the millisecond (a deal enters its first stage as it is created, and each move's
 * entry starts when the previous one ended).
 */
describe('time a deal spends in its stages', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web', RATE_LIMIT_MAX: '1000000' });
    tenant = await t.createTenant('dealtime');
  }, 120_000);
  afterAll(() => t?.close());

  it('adds up to now − created over random move histories', async () => {
    const pipeline = await addTestDealPipeline(t, tenant, {
      mode: 'free',
      isDefault: true,
      stages: ['A', 'B', 'C', 'D', 'E'].map((name) => ({ name })),
    });
    const { db } = await tenantHandle(t, tenant.tenant.id);
    const next = random(19);
    for (let n = 0; n < 12; n++) {
      const deal = dataOf(
        await t.crm(tenant).post('/deals', { title: `D${n}`, amount: 100, currency: 'EUR' }),
        201,
      );
      const moves = Math.floor(next() * 8);
      for (let m = 0; m < moves; m++) {
        const stageId = pipeline.stageIds[Math.floor(next() * pipeline.stageIds.length)]!;
        const res = await t.crm(tenant).post(`/deals/${deal.id}/stage`, { stageId });
        expect(res.status).toBe(200);
      }
      const { created_at } = await db
        .selectFrom('deals')
        .select('created_at')
        .where('id', '=', deal.id)
        .executeTakeFirstOrThrow();
      const entries = await db
        .selectFrom('stage_history')
        .select(['stage_id', 'entered_at', 'exited_at'])
        .where('record_kind', '=', 'deal')
        .where('record_id', '=', deal.id)
        .orderBy('id')
        .execute();
      const now = new Date(Date.now() + 60_000);
      const total = timeInStages(
        entries.map((entry) => ({
          stageId: entry.stage_id,
          enteredAt: entry.entered_at,
          exitedAt: entry.exited_at,
        })),
        now,
      ).reduce((sum, stage) => sum + stage.durationMs, 0);
      expect(total, `deal ${n}, ${entries.length} entries`).toBe(now.getTime() - created_at.getTime());
    }
  });
});
