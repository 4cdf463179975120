import { z } from 'zod';

/** The envelope of a WhatsApp Business Account webhook; `value` is kept as sent, parsed later. */
export const webhookPayloadSchema = z.object({
  object: z.string(),
  entry: z.array(
    z.object({
      id: z.string().optional(),
      changes: z.array(
        z.object({
          field: z.string(),
          value: z.looseObject({
            metadata: z.looseObject({ phone_number_id: z.string() }).optional(),
          }),
        }),
      ),
    }),
  ),
});

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** One change as stored for a tenant: what the processing job reads. */
export interface StoredChange {
  entryId?: string;
  field: string;
  value: Record<string, unknown>;
}

export interface StoredEvent {
  changes: StoredChange[];
}

/**
 * Splits a batch by `value.metadata.phone_number_id`. Changes without a phone number
 * (account-level fields such as template status updates) are grouped under `null`.
 */
export function splitByPhoneNumber(payload: WebhookPayload): Map<string | null, StoredChange[]> {
  const groups = new Map<string | null, StoredChange[]>();
  for (const entry of payload.entry) {
    for (const change of entry.changes) {
      const phoneNumberId = change.value.metadata?.phone_number_id ?? null;
      const group = groups.get(phoneNumberId) ?? [];
      group.push({ entryId: entry.id, field: change.field, value: change.value });
      groups.set(phoneNumberId, group);
    }
  }
  return groups;
}
