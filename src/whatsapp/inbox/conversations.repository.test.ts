import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../../testing/job-context.js';
import { queryPlan } from '../../testing/query-plan.js';
import { startTestApp, type TestApp } from '../../testing/test-app.js';
import { conversationForRecipient, latestConversationWith } from './conversations.repository.js';

describe('conversationForRecipient', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('writes in the most recent conversation with the contact, found with one index probe, else opens one', async () => {
    const tenant = await t.createTenant();
    const handle = await tenantHandle(t, tenant.tenant.id);
    const conversations = sql.id(handle.schema, 'conversations');
    await sql`insert into ${conversations} (phone_number_id, wa_id, last_message_at)
      select '1000001', '3460' || lpad(i::text, 7, '0'), now() - i * interval '1 minute'
      from generate_series(1, 5000) i`.execute(handle.db);
    const { rows } = await sql<{ id: string }>`insert into ${conversations}
      (phone_number_id, wa_id, last_message_at) values
      ('1000001', '34600111222', now() - interval '1 day'),
      ('2000002', '34600111222', now() - interval '1 hour') returning id`.execute(handle.db);
    const latest = rows[1]!.id;

    expect(await conversationForRecipient(handle.db, '+34600111222', '1000001', null)).toBe(latest);
    const plan = await queryPlan(handle.db, latestConversationWith(handle.db, '34600111222'));
    expect(plan).toContain('"Index Name":"conversations_contact_idx"');
    expect(plan).not.toContain('Seq Scan');
    expect(plan).not.toContain('"Node Type":"Sort"');

    const opened = await conversationForRecipient(handle.db, '+34999000111', '1000001', null);
    expect(opened).not.toBe(latest);
    expect(await conversationForRecipient(handle.db, '+34999000111', '2000002', null)).toBe(opened);
  });
});
