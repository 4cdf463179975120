import { z } from 'zod';

/** The envelope of a WhatsApp Business Account webhook; `value` is kept as sent, parsed later. */
export const webhookPayloadSchema = z.object({
  object: z.string(),
  entry: z.array(
    z.object({
      id: z.string().optional(),
      // Only informative: a delivery is never refused over it.
      time: z.number().optional().catch(undefined),
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
  /** Meta's `entry.time` (Unix seconds), sent with account-level changes. */
  entryTime?: number;
  field: string;
  value: Record<string, unknown>;
}

export interface StoredEvent {
  changes: StoredChange[];
}

/** A delivery's changes, grouped by what routes each to its tenant. */
export interface SplitChanges {
  /** Changes about a number's messages, by `value.metadata.phone_number_id`. */
  byPhoneNumber: Map<string, StoredChange[]>;
  /**
   * Account-level changes (template status, quality, category, …), which carry no phone
   * number, by `entry.id`: the WhatsApp Business Account id (null when the entry has none).
   */
  byWaba: Map<string | null, StoredChange[]>;
}

export function splitByRoute(payload: WebhookPayload): SplitChanges {
  const split: SplitChanges = { byPhoneNumber: new Map(), byWaba: new Map() };
  for (const entry of payload.entry) {
    for (const change of entry.changes) {
      const stored: StoredChange = {
        entryId: entry.id,
        entryTime: entry.time,
        field: change.field,
        value: change.value,
      };
      const phoneNumberId = change.value.metadata?.phone_number_id;
      if (phoneNumberId === undefined) append(split.byWaba, entry.id ?? null, stored);
      else append(split.byPhoneNumber, phoneNumberId, stored);
    }
  }
  return split;
}

function append<K>(groups: Map<K, StoredChange[]>, key: K, change: StoredChange): void {
  const group = groups.get(key);
  if (group) group.push(change);
  else groups.set(key, [change]);
}
