import { sql } from 'kysely';
import { recordActivity } from '../activity/index.js';
import type { AppServices } from '../app/services.js';
import { everyLead, type Access, type Actor } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { leadRef, requireLeadRow, toLead, type LeadEvent } from '../leads/index.js';
import { loadScoringSettings } from '../scoring/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';

/** What replaces erased text. */
export const erasedText = '[erased]';
/** The placeholder phone of an erased lead: unique (its reference), not a number. */
export const erasedPhone = (number: number) => `erased:${leadRef(number)}`;
const erasedEmail = 'erased@invalid';

/** Lead fields that hold personal data: scrubbed from the lead and from `field_changed` history. */
const personalFields = new Set([
  'firstName',
  'lastName',
  'name',
  'phone',
  'email',
  'company',
  'city',
  'state',
  'pincode',
  'customFields',
]);

export interface ErasureCounts {
  contacts: number;
  conversations: number;
  messages: number;
  mediaObjects: number;
  emailMessages: number;
  notes: number;
  activities: number;
  meetings: number;
  automationRecords: number;
  whatsappEvents: number;
}

export interface ErasureDeps {
  handle: TenantHandle;
  access: Access;
  actor: Actor;
  services: Pick<AppServices, 'storage' | 'leadEvents'>;
}

/**
 * Erases one person's personal data (ARCHITECTURE.md "Personal data"): the lead's names, phone
 * (a placeholder keeps the live-phone unique index valid), email, company, address and custom
 * fields; its contact; its WhatsApp conversations' number and name, messages' text, content and
 * stored media; its email messages' address, variables and text; notes' text; its signals' text;
 * personal values in its activity history and automation records; raw WhatsApp webhook events
 * naming the number.
 * Kept: status, source, tags, score, agent, timestamps, counts and the non-personal history.
 * One transaction (media objects are deleted before it commits, so a failure leaves everything to
 * erase again); an erased lead is left as it is (idempotent). Records `erased` with the actor.
 */
export async function eraseLead(deps: ErasureDeps, idOrRef: string) {
  const { handle, access, actor, services } = deps;
  const { hotThreshold } = await loadScoringSettings(handle);
  return inTenantTransaction<
    { lead: ReturnType<typeof toLead>; alreadyErased: boolean; erased: ErasureCounts | null },
    LeadEvent
  >({ leadEvents: services.leadEvents }, handle, async ({ trx, publish }) => {
    // A lead the caller cannot see does not exist for them (404, as for reads).
    const lead = await requireLeadRow(trx, access.visibility('leads.read'), idOrRef, { forUpdate: true });
    if (lead.phone === erasedPhone(lead.number)) {
      return { lead: toLead(lead, hotThreshold), alreadyErased: true, erased: null };
    }
    const needles = personalNeedles([
      lead.first_name,
      lead.last_name,
      [lead.first_name, lead.last_name].filter(Boolean).join(' '),
      lead.phone,
      lead.phone.replace(/^\+/, ''),
      lead.email,
      lead.company,
    ]);
    const counts = await scrub(trx, lead, needles, deps);
    await recordActivity(trx, [
      { leadId: lead.id, kind: 'erased', actor, data: { ...counts } as Record<string, unknown> },
    ]);
    const erased = toLead(await requireLeadRow(trx, everyLead, lead.id), hotThreshold);
    publish({ name: 'lead.updated', tenantId: handle.tenant.id, lead: erased });
    return { lead: erased, alreadyErased: false, erased: counts };
  });
}

async function scrub(
  trx: TenantDb,
  lead: Awaited<ReturnType<typeof requireLeadRow>>,
  needles: RegExp | null,
  deps: ErasureDeps,
): Promise<ErasureCounts> {
  await trx
    .updateTable('leads')
    .set({
      first_name: null,
      last_name: null,
      phone: erasedPhone(lead.number),
      email: null,
      company: null,
      city: null,
      state: null,
      pincode: null,
      custom_fields: '{}',
      updated_at: new Date(),
    })
    .where('id', '=', lead.id)
    .execute();

  const contacts = await trx
    .updateTable('contacts')
    .set({
      first_name: null,
      last_name: null,
      phone: null,
      email: null,
      company: null,
      city: null,
      state: null,
      notes: null,
      custom_fields: '{}',
      updated_at: new Date(),
    })
    .where((eb) =>
      eb.or([eb('lead_id', '=', lead.id), ...(lead.contact_id ? [eb('id', '=', lead.contact_id)] : [])]),
    )
    .executeTakeFirst();

  const conversations = await trx
    .selectFrom('conversations')
    .select(['id', 'wa_id'])
    .where('lead_id', '=', lead.id)
    .execute();
  const conversationIds = conversations.map((row) => row.id);
  let messages = 0;
  let mediaObjects = 0;
  let whatsappEvents = 0;
  if (conversationIds.length > 0) {
    const media = await trx
      .selectFrom('messages')
      .select('media_key')
      .where('conversation_id', 'in', conversationIds)
      .where('media_key', 'is not', null)
      .execute();
    const scrubbed = await trx
      .updateTable('messages')
      .set({
        body: sql`case when body is null then null else ${erasedText} end`,
        content: sql`'{}'::jsonb`,
        media_id: null,
        media_sha256: null,
        media_key: null,
        updated_at: new Date(),
      })
      .where('conversation_id', 'in', conversationIds)
      .executeTakeFirst();
    messages = Number(scrubbed.numUpdatedRows);
    await trx
      .updateTable('conversations')
      .set({ wa_id: sql`'erased:' || id::text`, contact_name: null, updated_at: new Date() })
      .where('id', 'in', conversationIds)
      .execute();
    // Raw webhook deliveries naming the number (already processed: the messages hold them now).
    const events = await trx
      .updateTable('whatsapp_events')
      .set({ payload: sql`'{"erased": true}'::jsonb` })
      .where('processed_at', 'is not', null)
      .where((eb) =>
        eb.or(
          conversations.map((row) =>
            eb(sql`payload::text`, 'like', `%"${row.wa_id.replace(/[%_\\]/g, '\\$&')}"%`),
          ),
        ),
      )
      .executeTakeFirst();
    whatsappEvents = Number(events.numUpdatedRows);
    for (const { media_key: key } of media) {
      await deps.services.storage.delete(key!);
      mediaObjects++;
    }
  }

  const emails = await trx
    .updateTable('email_messages')
    .set({
      to_address: erasedEmail,
      variables: sql`'{}'::jsonb`,
      subject: sql`case when subject is null then null else ${erasedText} end`,
      body_text: sql`case when body_text is null then null else ${erasedText} end`,
      smtp_response: null,
      updated_at: new Date(),
    })
    .where((eb) =>
      eb.or([
        eb('lead_id', '=', lead.id),
        ...(lead.email ? [eb(sql`lower(to_address)`, '=', lead.email.toLowerCase())] : []),
      ]),
    )
    .executeTakeFirst();

  const notes = await trx
    .updateTable('lead_notes')
    .set({ body: erasedText })
    .where('lead_id', '=', lead.id)
    .executeTakeFirst();

  const activities = await scrubActivities(trx, lead.id, needles);

  const meetings = await trx
    .updateTable('meetings')
    .set({ title: erasedText, attendees: sql`'[]'::jsonb`, updated_at: new Date() })
    .where('lead_id', '=', lead.id)
    .executeTakeFirst();

  // Signals keep their type, status, SLA and times; the customer's words (a message's text) go.
  await trx
    .updateTable('signals')
    .set({
      content: sql`case when content is null then null else ${erasedText} end`,
      resolution_note: sql`case when resolution_note is null then null else ${erasedText} end`,
    })
    .where('lead_id', '=', lead.id)
    .execute();

  // Automation records keep their trigger, rule, status and times; their data goes.
  const phones = [lead.phone];
  const automation = await Promise.all([
    trx
      .updateTable('automation_events')
      .set({ phone: null, variables: sql`'{}'::jsonb`, result: null })
      .where((eb) => eb.or([eb('lead_id', '=', lead.id), eb('phone', 'in', phones)]))
      .executeTakeFirst(),
    trx
      .updateTable('automation_runs')
      .set({ variables: sql`'{}'::jsonb` })
      .where('lead_id', '=', lead.id)
      .executeTakeFirst(),
    trx
      .updateTable('automation_reminders')
      .set({ phone: null, variables: sql`'{}'::jsonb` })
      .where((eb) => eb.or([eb('lead_id', '=', lead.id), eb('phone', 'in', phones)]))
      .executeTakeFirst(),
    trx
      .updateTable('automation_outbox')
      .set({ variables: sql`'{}'::jsonb` })
      .where('lead_id', '=', lead.id)
      .executeTakeFirst(),
  ]);

  return {
    contacts: Number(contacts.numUpdatedRows),
    conversations: conversations.length,
    messages,
    mediaObjects,
    emailMessages: Number(emails.numUpdatedRows),
    notes: Number(notes.numUpdatedRows),
    activities,
    meetings: Number(meetings.numUpdatedRows),
    automationRecords: automation.reduce((sum, result) => sum + Number(result.numUpdatedRows), 0),
    whatsappEvents,
  };
}

/**
 * The lead's history keeps its entries, kinds, actors and times: a `field_changed` entry of a
 * personal field loses its values, and any text naming the person (a word-bounded match of their
 * names, phone, email or company) is replaced. Status, score, tag and assignment history stays.
 */
async function scrubActivities(trx: TenantDb, leadId: string, needles: RegExp | null): Promise<number> {
  const rows = await trx
    .selectFrom('lead_activities')
    .select(['id', 'kind', 'data'])
    .where('lead_id', '=', leadId)
    .execute();
  let changed = 0;
  for (const row of rows) {
    let data = row.data;
    if (row.kind === 'field_changed' && personalFields.has(String(data.field))) {
      data = {
        ...data,
        from: data.from === null ? null : erasedText,
        to: data.to === null ? null : erasedText,
      };
    }
    data = scrubValue(data, needles) as Record<string, unknown>;
    if (JSON.stringify(data) === JSON.stringify(row.data)) continue;
    await trx
      .updateTable('lead_activities')
      .set({ data: JSON.stringify(data) })
      .where('id', '=', row.id)
      .execute();
    changed++;
  }
  return changed;
}

function scrubValue(value: unknown, needles: RegExp | null): unknown {
  if (typeof value === 'string') return needles?.test(value) ? erasedText : value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, needles));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubValue(item, needles)]));
  }
  return value;
}

/** One case-insensitive pattern matching any of the person's values as a whole word. */
function personalNeedles(values: (string | null)[]): RegExp | null {
  const words = [...new Set(values.filter((value): value is string => !!value && value.trim().length >= 2))];
  if (words.length === 0) return null;
  const escaped = words.map((word) => word.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(^|[^\\p{L}\\p{N}])(${escaped.join('|')})($|[^\\p{L}\\p{N}])`, 'iu');
}
