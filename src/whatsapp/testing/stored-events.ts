import { sql } from 'kysely';
import { tenantHandle } from '../../testing/job-context.js';
import type { TestApp, TestTenant } from '../../testing/test-app.js';
import { change, inbound } from './meta-payloads.js';

/** Test-only: a change carrying one inbound text message `wamid` to `phoneNumberId`. */
export const textChange = (phoneNumberId: string, wamid: string, body = `hello ${wamid}`) =>
  change({ phoneNumberId, messages: [inbound(wamid, '34600111222', 'text', { text: { body } })] });

/** Test-only: how many of the tenant's stored webhook events carry the message `wamid`. */
export async function storedEventsWith(t: TestApp, tenant: TestTenant, wamid: string): Promise<number> {
  const { db } = await tenantHandle(t, tenant.tenant.id);
  const row = await db
    .selectFrom('whatsapp_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where(
      sql<boolean>`payload @> ${JSON.stringify({ changes: [{ value: { messages: [{ id: wamid }] } }] })}::jsonb`,
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
