import { z } from 'zod';
import { ingestLeadSchema } from '../../leads/index.js';
import { externalTriggers } from '../rules/triggers.js';

export const eventBodySchema = z
  .object({
    trigger: z.enum(externalTriggers, {
      error: (issue) =>
        `Unknown trigger ${JSON.stringify(issue.input)}; valid triggers: ${externalTriggers.join(', ')}`,
    }),
    phone: z.string().trim().min(1).max(40).optional(),
    /** Acts on this lead instead of looking it up by phone. */
    leadId: z.uuid().optional(),
    variables: z.record(z.string(), z.unknown()).default({}),
    /** Ingests the lead (CRM dedupe and assignment) when no live lead has the phone. */
    createLeadIfMissing: z.boolean().default(false),
    leadData: ingestLeadSchema.omit({ phone: true }).optional(),
    /** The client's id for the event: the same id twice is handled once. */
    eventId: z.string().trim().min(1).max(200).optional(),
  })
  .refine((event) => !event.createLeadIfMissing || event.phone, {
    path: ['phone'],
    message: 'createLeadIfMissing needs a phone',
  });
export type EventBody = z.infer<typeof eventBodySchema>;

const outcome = z.object({
  index: z.number().int(),
  type: z.string(),
  status: z.enum(['applied', 'queued', 'failed', 'scheduled', 'skipped']),
  detail: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).optional(),
  jobId: z.string().optional(),
  jobKind: z.string().optional(),
  runAt: z.string().optional(),
  triggered: z.array(z.string()).optional(),
});

export const eventResultSchema = z.object({
  eventId: z.uuid().meta({ description: 'The event record (automation_events.id)' }),
  clientEventId: z.string().nullable(),
  trigger: z.string(),
  duplicate: z
    .boolean()
    .meta({ description: 'true when the eventId was seen before: this is the first answer' }),
  lead: z.record(z.string(), z.unknown()).nullable(),
  leadCreated: z.boolean(),
  matchedRules: z.array(
    z.object({
      runId: z.uuid(),
      ruleId: z.uuid().nullable(),
      ruleName: z.string(),
      trigger: z.string(),
      depth: z.number().int(),
      status: z.string(),
    }),
  ),
  actionsApplied: z.array(outcome.extend({ runId: z.uuid() })),
  failedActions: z.array(outcome.extend({ runId: z.uuid() })),
  jobs: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      runId: z.uuid(),
      actionIndex: z.number().int(),
      runAt: z.string(),
    }),
  ),
  cascadeCut: z.array(
    z.object({
      trigger: z.string(),
      depth: z.number().int(),
      runId: z.uuid().nullable(),
      variables: z.unknown(),
    }),
  ),
  remindersScheduled: z.array(z.object({ ruleId: z.uuid(), fireAt: z.string() })),
});
export type EventResult = z.infer<typeof eventResultSchema>;
