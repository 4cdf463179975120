import { z } from 'zod';
import { callPriorities } from '../../dialer/index.js';
import { leadStatuses } from '../../leads/index.js';
import { fieldPathProblem, templateProblems } from '../engine/template-text.js';
import { triggers } from './triggers.js';

/** Text that may hold `{{placeholders}}`, checked at save time. */
const template = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((text, ctx) => {
      for (const problem of templateProblems(text)) ctx.addIssue({ code: 'custom', message: problem });
    });

const fieldPath = z
  .string()
  .min(1)
  .max(200)
  .superRefine((path, ctx) => {
    const problem = fieldPathProblem(path);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);
const ordered = z.union([z.number(), z.string().min(1).max(100)]);

export const conditionSchema = z.discriminatedUnion('op', [
  z.object({ field: fieldPath, op: z.literal('eq'), value: scalar }),
  z.object({ field: fieldPath, op: z.literal('neq'), value: scalar }),
  z.object({ field: fieldPath, op: z.literal('in'), value: z.array(scalar).min(1).max(500) }),
  /** Substring of a text, or element of a list (`lead.tags`). */
  z.object({
    field: fieldPath,
    op: z.literal('contains'),
    value: z.union([z.string().min(1).max(1000), z.number()]),
  }),
  /** `value: false` matches when the field is absent or empty. */
  z.object({ field: fieldPath, op: z.literal('exists'), value: z.boolean().default(true) }),
  /** Numbers compare as numbers, ISO dates as instants. */
  z.object({ field: fieldPath, op: z.literal('gt'), value: ordered }),
  z.object({ field: fieldPath, op: z.literal('lt'), value: ordered }),
]);
export type Condition = z.infer<typeof conditionSchema>;

const tag = z.string().trim().toLowerCase().min(1).max(60);

export const internalActionSchemas = [
  z.object({ type: z.literal('set_status'), status: z.enum(leadStatuses), reopen: z.boolean().optional() }),
  z.object({ type: z.literal('add_tag'), tag }),
  z.object({ type: z.literal('remove_tag'), tag }),
  /** A specific agent, or (without `agentId`) the assignment rules, for an unassigned lead. */
  z.object({ type: z.literal('assign'), agentId: z.uuid().optional() }),
  z.object({ type: z.literal('add_note'), body: template(10_000) }),
  /** `afterMinutes` from now, or `at` (ISO; without an offset it is the tenant's local time). */
  z
    .object({
      type: z.literal('set_follow_up'),
      afterMinutes: z.number().int().min(0).max(525_600).optional(),
      at: template(200).optional(),
    })
    .refine((action) => (action.afterMinutes === undefined) !== (action.at === undefined), {
      message: 'Give exactly one of afterMinutes or at',
    }),
  z.object({ type: z.literal('change_score'), by: z.number().int().min(-100).max(100) }),
  /** Puts the lead in the call queue (once: a lead already waiting, or on do-not-call, is skipped). */
  z.object({
    type: z.literal('queue_call'),
    priority: z.enum(callPriorities).default('medium'),
    campaign: z.string().trim().min(1).max(100).optional(),
  }),
] as const;

export const externalActionSchemas = [
  z.object({
    type: z.literal('send_whatsapp_template'),
    template: z.string().trim().min(1).max(512),
    language: z.string().trim().min(2).max(15),
    /** Body parameters in order. */
    variables: z.array(template(1000)).max(50).default([]),
  }),
  z.object({ type: z.literal('send_whatsapp_text'), text: template(4096) }),
  z.object({
    type: z.literal('send_email'),
    /** Defaults to the lead's email. */
    to: template(320).optional(),
    subject: template(500),
    body: template(100_000),
  }),
  z.object({
    type: z.literal('create_meet_link'),
    title: template(500),
    /** ISO instant, or tenant-local time without an offset. */
    startAt: template(200),
    durationMinutes: z.number().int().min(5).max(1440).default(30),
    attendees: z.array(template(320)).max(50).default([]),
  }),
  z.object({
    type: z.literal('call_webhook'),
    url: z.url({ protocol: /^https?$/ }).max(2000),
    /** A value is one header line: a CR, LF or NUL in it could never be sent (nor add a header). */
    headers: z
      .record(
        z.string().regex(/^[A-Za-z0-9-]{1,100}$/),
        z
          .string()
          .max(2000)
          .regex(/^[^\r\n\0]*$/, 'must not contain CR, LF or NUL'),
      )
      .optional(),
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  }),
  /** Delays the actions after it. */
  z.object({ type: z.literal('wait'), minutes: z.number().int().min(1).max(525_600) }),
] as const;

export const actionSchema = z.discriminatedUnion('type', [
  ...internalActionSchemas,
  ...externalActionSchemas,
]);
export type Action = z.infer<typeof actionSchema>;
export type ActionType = Action['type'];

export const internalActionTypes = new Set<string>(internalActionSchemas.map((s) => s.shape.type.value));

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  trigger: z.enum(triggers),
  conditions: z.array(conditionSchema).max(50),
  actions: z.array(actionSchema).min(1).max(50),
  active: z.boolean(),
  /** Delay before the rule's first action. */
  delayMinutes: z.number().int().min(1).max(525_600).nullable().optional(),
  /** `appointment_reminder` rules: how long before the appointment they fire. */
  reminderMinutesBefore: z.number().int().min(0).max(525_600).nullable().optional(),
  /** `appointment_reminder` rules: the event variable holding the appointment time (default `appointmentAt`). */
  appointmentTimeVariable: z
    .string()
    .regex(/^[A-Za-z_]\w{0,99}$/)
    .nullable()
    .optional(),
};

function checkReminder(
  rule: { trigger?: string; reminderMinutesBefore?: number | null },
  ctx: z.RefinementCtx,
): void {
  const isReminder = rule.trigger === 'appointment_reminder';
  if (isReminder && (rule.reminderMinutesBefore === undefined || rule.reminderMinutesBefore === null)) {
    ctx.addIssue({
      code: 'custom',
      path: ['reminderMinutesBefore'],
      message: 'appointment_reminder rules need reminderMinutesBefore',
    });
  }
  if (!isReminder && rule.reminderMinutesBefore != null) {
    ctx.addIssue({
      code: 'custom',
      path: ['reminderMinutesBefore'],
      message: 'Only appointment_reminder rules have reminderMinutesBefore',
    });
  }
}

export const ruleInputSchema = z
  .object({
    ...ruleFields,
    conditions: ruleFields.conditions.default([]),
    active: ruleFields.active.default(true),
  })
  .superRefine(checkReminder);
export type RuleInput = z.infer<typeof ruleInputSchema>;

/** A PATCH: any subset of the fields; the merged rule is validated again as a whole. */
export const rulePatchSchema = z
  .object(ruleFields)
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'Nothing to update');
export type RulePatch = z.infer<typeof rulePatchSchema>;

export const ruleSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  trigger: z.enum(triggers),
  conditions: z.array(conditionSchema),
  actions: z.array(actionSchema),
  active: z.boolean(),
  delayMinutes: z.number().int().nullable(),
  reminderMinutesBefore: z.number().int().nullable(),
  appointmentTimeVariable: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type AutomationRule = z.infer<typeof ruleSchema>;
