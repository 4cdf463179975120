import { z } from 'zod';
import { businessDurationInput } from '../calendars/index.js';
import { isoDateTimeInput } from '../http/input-contract.js';
import { signalTypes } from './signals.tables.js';

export const signalRefSchema = z.string().regex(/^SIG-\d{1,15}$/i);
/** `:id` of a signal: its uuid or its reference (`SIG-00012`). */
export const signalIdParams = z.object({ id: z.union([z.uuid(), signalRefSchema]) });

const actorSchema = z.object({
  type: z.enum(['user', 'api_key', 'system']),
  id: z.string().nullable(),
  name: z.string(),
});

export const signalSchema = z.object({
  id: z.uuid(),
  ref: z.string().meta({ example: 'SIG-00001' }),
  type: z.enum(signalTypes),
  record: z.object({ kind: z.enum(['lead', 'contact', 'deal']), id: z.uuid() }),
  ownerId: z.uuid().nullable().meta({ description: 'The agent the signal is for (visibility goes by it)' }),
  content: z.string().nullable().meta({ description: 'The latest inbound text or preview' }),
  inboundCount: z.number().int().meta({ description: 'Inbound messages (or events) while pending' }),
  status: z.enum(['pending', 'resolved']),
  slaSeconds: z.number().int().meta({ description: 'Business time allowed, from the first inbound' }),
  slaDeadline: z.date(),
  breached: z.boolean().meta({ description: 'Pending with its deadline passed (derived, at the read)' }),
  openedAt: z.date().meta({ description: 'The first unanswered inbound' }),
  lastInboundAt: z.date(),
  resolvedAt: z.date().nullable(),
  resolvedBy: actorSchema.nullable(),
  resolution: z.enum(['replied', 'manual']).nullable(),
  resolutionNote: z.string().nullable(),
  source: z
    .object({ kind: z.string(), id: z.string() })
    .nullable()
    .meta({ description: 'Where it came from, e.g. `{ kind: "conversation", id }`' }),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Signal = z.infer<typeof signalSchema>;

export const signalListQuerySchema = z.object({
  status: z.enum(['pending', 'resolved']).optional(),
  type: z.enum(signalTypes).optional(),
  ownerId: z
    .union([z.uuid(), z.literal('unassigned')])
    .optional()
    .meta({ description: "An agent's id, or `unassigned` for signals of no owner" }),
  leadId: z.uuid().optional(),
  breached: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: '`true`: pending with the deadline passed; `false`: every other signal' }),
  openedFrom: isoDateTimeInput().optional(),
  openedTo: isoDateTimeInput().optional().meta({ description: 'Exclusive' }),
  resolvedFrom: isoDateTimeInput().optional(),
  resolvedTo: isoDateTimeInput().optional().meta({ description: 'Exclusive' }),
  sort: z.enum(['openedAt', 'slaDeadline']).default('openedAt'),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type SignalListQuery = z.infer<typeof signalListQuerySchema>;

export const resolveSignalSchema = z.object({
  note: z.string().trim().min(1).max(2000).optional(),
});

export const createSignalSchema = z.object({
  type: z.enum(['system', 'email']),
  leadId: z.uuid(),
  content: z.string().trim().min(1).max(4000),
});
export type CreateSignalInput = z.infer<typeof createSignalSchema>;

const slaShape = Object.fromEntries(signalTypes.map((type) => [type, z.string()])) as Record<
  (typeof signalTypes)[number],
  z.ZodString
>;

export const signalSettingsSchema = z.object({
  sla: z.object(slaShape).meta({
    description: 'Business time (ISO 8601 duration) a signal of each type allows before it is breached',
  }),
});
export type SignalSettings = z.infer<typeof signalSettingsSchema>;

export const signalSettingsInput = z.object({
  sla: z.object({
    whatsapp: businessDurationInput().optional(),
    call: businessDurationInput().optional(),
    email: businessDurationInput().optional(),
    system: businessDurationInput().optional(),
  }),
});
export type SignalSettingsInput = z.infer<typeof signalSettingsInput>;
