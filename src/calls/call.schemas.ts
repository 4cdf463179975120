import { z } from 'zod';
import { flagParam, isoDateTimeInput, listParam } from '../http/input-contract.js';
import { piiPhone } from '../http/pii.js';
import { callDispositions, callOutcomes, callStatuses } from './calls.tables.js';

export const callRefSchema = z.string().regex(/^CALL-\d{1,15}$/i);
/** `:id` of a call: its uuid or its reference (`CALL-00012`). */
export const callIdParams = z.object({ id: z.union([z.uuid(), callRefSchema]) });

export const callSchema = z.object({
  id: z.uuid(),
  ref: z.string().meta({ example: 'CALL-00001' }),
  leadId: z.uuid().nullable(),
  agentId: z
    .uuid()
    .nullable()
    .meta({ description: 'The salesperson the call was bridged to (or rang first)' }),
  direction: z.enum(['outbound', 'inbound']),
  mode: z
    .enum(['dialer', 'click_to_call', 'inbound'])
    .meta({ description: '`dialer`: placed from the call queue; `click_to_call`: by a salesperson' }),
  campaign: z.string().nullable(),
  queueEntryId: z.uuid().nullable(),
  fromNumber: piiPhone(),
  toNumber: piiPhone(),
  agentNumber: piiPhone().nullable(),
  status: z.enum(callStatuses),
  outcome: z.enum(callOutcomes).nullable().meta({ description: 'Set when the call ends' }),
  abandoned: z.boolean().meta({ description: 'The lead answered and no salesperson took the call' }),
  answeredBy: z
    .string()
    .nullable()
    .meta({ description: "Answering machine detection's verdict, when asked" }),
  attempt: z
    .number()
    .int()
    .meta({ description: 'The attempt number of the queue entry (1 for a manual call)' }),
  queuedAt: z.date(),
  startedAt: z.date().nullable().meta({ description: 'The provider started the call (initiated)' }),
  ringingAt: z.date().nullable(),
  answeredAt: z.date().nullable(),
  bridgedAt: z.date().nullable().meta({ description: 'The salesperson picked up' }),
  endedAt: z.date().nullable(),
  ringSeconds: z.number().int().nullable(),
  talkSeconds: z.number().int().nullable(),
  providerCallSid: z.string().nullable(),
  recording: z
    .object({ seconds: z.number().int().nullable(), stored: z.boolean() })
    .nullable()
    .meta({ description: 'GET /calls/{id}/recording answers a signed link once stored' }),
  cost: z
    .object({ amount: z.string(), currency: z.string() })
    .nullable()
    .meta({ description: 'As the provider reports it' }),
  error: z.object({ code: z.string().nullable(), message: z.string().nullable() }).nullable(),
  disposition: z.enum(callDispositions).nullable(),
  dispositionReason: z.string().nullable(),
  dispositionAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Call = z.infer<typeof callSchema>;

export const callListQuerySchema = z.object({
  leadId: z.uuid().optional(),
  agentId: z.uuid().optional(),
  outcome: listParam(z.enum(callOutcomes)).optional(),
  status: listParam(z.enum(callStatuses)).optional(),
  direction: z.enum(['outbound', 'inbound']).optional(),
  mode: z.enum(['dialer', 'click_to_call', 'inbound']).optional(),
  campaign: z.string().trim().min(1).max(100).optional(),
  abandoned: flagParam().optional(),
  from: isoDateTimeInput().optional().meta({ description: 'Queued at or after' }),
  to: isoDateTimeInput().optional().meta({ description: 'Queued before (exclusive)' }),
});
export type CallListQuery = z.infer<typeof callListQuerySchema>;

export const clickToCallSchema = z.object({
  leadId: z.uuid(),
  agentId: z
    .uuid()
    .optional()
    .meta({ description: "The salesperson whose phone rings first (default: the caller's own agent)" }),
});
export type ClickToCallInput = z.infer<typeof clickToCallSchema>;

export const dispositionSchema = z.object({
  disposition: z.enum(callDispositions),
  reason: z.string().trim().min(1).max(2000).optional(),
});
export type DispositionInput = z.infer<typeof dispositionSchema>;
