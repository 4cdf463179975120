import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../auth/actors.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { tenantHandle } from '../testing/job-context.js';
import { dataOf } from '../testing/tenant-client.js';
import { testDatabaseKind } from '../testing/test-database.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { stageHistory } from './record-stages.js';
import { seededDraws as seeded } from '../testing/seeded-random.js';
import { moveToStage } from './stage-moves.js';
import { timeInStages, type TimedEntry } from './time-in-stage.js';

/** Time in stage sums to now − the first entry, exactly, for a history as `moveToStage` writes it. */
function expectSumsToElapsed(entries: TimedEntry[], now: Date) {
  const totals = timeInStages(entries, now);
  const sum = totals.reduce((total, stage) => total + stage.durationMs, 0);
  for (const total of totals) expect(Number.isInteger(total.durationMs)).toBe(true);
  expect(sum).toBe(now.getTime() - entries[0]!.enteredAt.getTime());
  expect(totals.reduce((n, stage) => n + stage.entries, 0)).toBe(entries.length);
}

describe('timeInStages (property, seeded random histories)', () => {
  it('per-stage sums add up to now − the first entry over 2,000 random histories', () => {
    const random = seeded(19);
    for (let run = 0; run < 2_000; run++) {
      const stages = Array.from({ length: random.int(1, 6) }, (_, i) => `stage-${i}`);
      let at = Date.UTC(2020, 0, 1) + random.int(0, 2_000_000_000) * 100;
      const entries: TimedEntry[] = [];
      for (let n = random.int(1, 25); n > 0; n--) {
        const enteredAt = new Date(at);
        // Moves in the same millisecond happen (concurrent requests): gaps of 0 included.
        at += random.next() < 0.2 ? 0 : random.int(1, 40 * 86_400_000);
        entries.push({
          stageId: stages[random.int(0, stages.length - 1)]!,
          enteredAt,
          exitedAt: new Date(at),
        });
      }
      entries[entries.length - 1]!.exitedAt = null;
      const now = new Date(at + random.int(0, 10 * 86_400_000));
      expectSumsToElapsed(entries, now);
    }
  });

  it('an open entry counts until now; a closed one until it exited', () => {
    const t0 = new Date('2026-01-01T00:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    expect(
      timeInStages(
        [
          { stageId: 'a', enteredAt: t0, exitedAt: at(1_000) },
          { stageId: 'b', enteredAt: at(1_000), exitedAt: at(1_500) },
          { stageId: 'a', enteredAt: at(1_500), exitedAt: null },
        ],
        at(4_000),
      ),
    ).toEqual([
      { stageId: 'a', durationMs: 3_500, entries: 2 },
      { stageId: 'b', durationMs: 500, entries: 1 },
    ]);
  });
});

describe('time in stage of histories written by moveToStage', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let handle: TenantHandle;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await t.createTenant('timeinstage');
    handle = await tenantHandle(t, tenant.tenant.id);
  });
  afterAll(() => t?.close());

  it('the sums add up exactly for histories read back after random moves', async () => {
    const random = seeded(2026);
    const pipeline = dataOf(
      await t.crm(tenant).post('/pipelines', {
        kind: 'lead',
        name: 'Random walk',
        mode: 'free',
        stages: ['A', 'B', 'C', 'D', 'E'].map((name) => ({ name })),
      }),
      201,
    );
    const stageIds = (pipeline.stages as { id: string }[]).map((stage) => stage.id);
    const actor = systemActor('property test');
    const records = testDatabaseKind === 'postgres' ? 40 : 25;
    for (let r = 0; r < records; r++) {
      const lead = dataOf(
        await t.crm(tenant).post('/leads', {
          name: `Walk ${r}`,
          phone: `+1415777${String(r).padStart(4, '0')}`,
          assign: false,
        }),
        201,
      ).lead;
      for (let moves = random.int(1, 10); moves > 0; moves--) {
        await inTenantTransaction(t.app.services, handle, ({ trx }) =>
          moveToStage(trx, {
            kind: 'lead',
            recordId: lead.id,
            stageId: stageIds[random.int(0, stageIds.length - 1)]!,
            actor,
          }),
        );
      }
      const rows = await handle.db
        .selectFrom('stage_history')
        .select(['stage_id', 'entered_at', 'exited_at'])
        .where('record_id', '=', lead.id)
        .orderBy('id')
        .execute();
      const entries = rows.map((row) => ({
        stageId: row.stage_id,
        enteredAt: row.entered_at,
        exitedAt: row.exited_at,
      }));
      // Each entry ends when the next begins (no gap, no overlap); one open entry, the last.
      for (let i = 1; i < entries.length; i++)
        expect(entries[i - 1]!.exitedAt).toEqual(entries[i]!.enteredAt);
      expect(entries.filter((entry) => entry.exitedAt === null)).toHaveLength(1);
      expect(entries.at(-1)!.exitedAt).toBeNull();
      const now = new Date(entries.at(-1)!.enteredAt.getTime() + random.int(0, 86_400_000));
      expectSumsToElapsed(entries, now);
      // The API's history answers the same sums.
      const history = await stageHistory(handle.db, 'lead', lead.id, now);
      expect(history.timeInStage.reduce((sum, stage) => sum + stage.durationMs, 0)).toBe(
        now.getTime() - entries[0]!.enteredAt.getTime(),
      );
    }
  });
});

// Real concurrency needs a server: PGlite is one connection, its requests take turns.
describe.skipIf(testDatabaseKind !== 'postgres')('concurrent moves of one lead (Postgres)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let handle: TenantHandle;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await t.createTenant('concurrentmoves');
    handle = await tenantHandle(t, tenant.tenant.id);
  });
  afterAll(() => t?.close());

  it('50 concurrent moves leave one open entry, entries in order, no overlap', async () => {
    const pipeline = dataOf(
      await t.crm(tenant).post('/pipelines', {
        kind: 'lead',
        name: 'Busy',
        mode: 'free',
        stages: ['A', 'B', 'C', 'D'].map((name) => ({ name })),
      }),
      201,
    );
    const lead = dataOf(
      await t.crm(tenant).post('/leads', { name: 'Busy', phone: '+14157770999', assign: false }),
      201,
    ).lead;
    const stages = pipeline.stages as { id: string }[];
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.crm(tenant).post(`/leads/${lead.id}/stage`, { stageId: stages[i % stages.length]!.id }),
      ),
    );
    for (const res of responses) expect(res.status, res.text).toBe(200);
    const moved = responses.filter((res) => res.body.data.moved).length;
    const rows = await handle.db
      .selectFrom('stage_history')
      .selectAll()
      .where('record_kind', '=', 'lead')
      .where('record_id', '=', lead.id)
      .orderBy('id')
      .execute();
    expect(rows).toHaveLength(moved);
    expect(rows.filter((row) => row.exited_at === null)).toHaveLength(1);
    expect(rows.at(-1)!.exited_at).toBeNull();
    for (let i = 1; i < rows.length; i++) {
      const [previous, next] = [rows[i - 1]!, rows[i]!];
      expect(next.entered_at.getTime()).toBeGreaterThanOrEqual(previous.entered_at.getTime());
      expect(previous.exited_at!.getTime()).toBeGreaterThanOrEqual(previous.entered_at.getTime());
      // No overlap: the next entry starts when this one ended.
      expect(next.entered_at.getTime()).toBe(previous.exited_at!.getTime());
      // A move is recorded only when it changes the stage.
      expect(next.stage_id).not.toBe(previous.stage_id);
    }
    const current = dataOf(await t.crm(tenant).get(`/leads/${lead.id}`));
    expect(current.stageId).toBe(rows.at(-1)!.stage_id);
    expect(new Date(current.stageEnteredAt).getTime()).toBe(rows.at(-1)!.entered_at.getTime());
  });
});
