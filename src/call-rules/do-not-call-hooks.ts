import type { Actor } from '../auth/access.js';
import { systemActor } from '../auth/actors.js';
import type { DoNotCallChanged } from '../leads/index.js';
import type { OpenUnit } from '../tenancy/unit-of-work.js';
import { insertDoNotCall, sourceOf } from './do-not-call.repository.js';

/**
 * Requests not to be called, in English, matched case-insensitively anywhere in a message (words
 * separated by any spaces or punctuation; "don't" with a straight or curly apostrophe, or none):
 * "do not call", "don't call" (… me, … us, … this number), "stop calling", "no calls", "no more
 * calls", "no phone calls", "never call", "remove me from your call list". A message that quotes
 * one of them is taken as the request: when in doubt, not calling is the safe side.
 */
const optOutPhrases: readonly RegExp[] = [
  /\bdo\s+not\s+(?:ever\s+)?call\b/,
  /\bdon['’]?t\s+(?:ever\s+)?call\b/,
  /\bstop\s+(?:calling|the\s+calls|these\s+calls)\b/,
  /\bno\s+(?:more\s+)?(?:phone\s+)?calls\b/,
  /\bnever\s+call\b/,
  /\bremove\s+me\s+from\s+(?:your|the)\s+call(?:ing)?\s+list\b/,
];

/** Whether `text` asks not to be called (see `optOutPhrases`). */
export function isCallOptOut(text: string | null | undefined): boolean {
  if (!text) return false;
  const normalised = text.toLowerCase().replace(/\s+/g, ' ');
  return optOutPhrases.some((phrase) => phrase.test(normalised));
}

/** The message types whose body is the customer's own words. */
const wordTypes = new Set(['text', 'button', 'interactive']);

/** Who lists a number the lead asked about. */
const requestActor: Actor = systemActor('do-not-call request');

/**
 * A lead's WhatsApp message asking not to be called sets its `doNotCall` flag and lists its number
 * (source `lead_request`), in the unit of work that stored the message.
 */
export async function onLeadMessageReceived(
  open: OpenUnit,
  event: { leadId: string; type: string; body: string | null },
): Promise<void> {
  if (!wordTypes.has(event.type) || !isCallOptOut(event.body)) return;
  const { trx } = open.unit;
  const lead = await trx
    .selectFrom('leads')
    .select('phone')
    .where('id', '=', event.leadId)
    .executeTakeFirst();
  if (!lead) return;
  await insertDoNotCall(trx, [lead.phone], {
    reason: `Asked on WhatsApp: ${event.body!.slice(0, 200)}`,
    source: 'lead_request',
    actor: requestActor,
  });
}

/**
 * A lead change that set or cleared `doNotCall` (or gave a flagged lead a new number): the list
 * follows. Set → the number is listed (kept if already there); cleared → it is taken off.
 */
export async function onDoNotCallChanged(open: OpenUnit, event: DoNotCallChanged): Promise<void> {
  const { trx } = open.unit;
  const listed = event.entries.filter((entry) => entry.doNotCall).map((entry) => entry.phone);
  const cleared = event.entries.filter((entry) => !entry.doNotCall).map((entry) => entry.phone);
  if (listed.length > 0) {
    await insertDoNotCall(trx, listed, { reason: null, source: sourceOf(event.actor), actor: event.actor });
  }
  if (cleared.length > 0) await trx.deleteFrom('do_not_call').where('phone', 'in', cleared).execute();
}
