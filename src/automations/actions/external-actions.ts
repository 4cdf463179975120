import type { TenantDb } from '../../db/tenant-database.js';
import type { JobKind, JobPayloads } from '../../queue/job-types.js';
import type { Lead } from '../../leads/index.js';
import { ActionFailure } from './action-failure.js';
import type { Action } from '../rules/rule.schemas.js';
import { renderAll, renderTemplate, type TemplateScope } from '../engine/template-text.js';
import { tenantInstant } from '../engine/tenant-time.js';

export type ExternalAction = Extract<
  Action,
  {
    type:
      'send_whatsapp_template' | 'send_whatsapp_text' | 'send_email' | 'create_meet_link' | 'call_webhook';
  }
>;

/** The job kind that carries out each external action. */
export const actionJobKinds = {
  send_whatsapp_template: 'automation.send_whatsapp_template',
  send_whatsapp_text: 'automation.send_whatsapp_text',
  send_email: 'automation.send_email',
  create_meet_link: 'automation.create_meet_link',
  call_webhook: 'automation.call_webhook',
} as const satisfies Record<ExternalAction['type'], JobKind>;

/** The payloads of the action jobs (automations.jobs.ts holds their schemas). */
export type WhatsAppTemplatePayload = JobPayloads['automation.send_whatsapp_template'];
export type WhatsAppTextPayload = JobPayloads['automation.send_whatsapp_text'];
export type SendEmailPayload = JobPayloads['automation.send_email'];
export type CreateMeetLinkPayload = JobPayloads['automation.create_meet_link'];
export type CallWebhookPayload = JobPayloads['automation.call_webhook'];
/** The payload of any action job. */
export type ExternalJobPayload = JobPayloads[(typeof actionJobKinds)[ExternalAction['type']]];

/** Where a job came from: every action job carries it, so its outcome can be traced to the run. */
export type ActionOrigin = Pick<CallWebhookPayload, 'runId' | 'ruleId' | 'actionIndex' | 'leadId'>;

export interface ExternalActionContext {
  trx: TenantDb;
  timezone: string;
  scope: TemplateScope;
  lead: Lead | null;
  rule: { id: string | null; name: string };
  origin: ActionOrigin;
}

function whatsappRecipient(ctx: ExternalActionContext): string {
  const to = ctx.scope.event.phone ?? ctx.lead?.phone;
  if (!to) throw new ActionFailure('no_recipient', 'Neither the event nor its lead has a phone number');
  return to;
}

/**
 * Renders an external action into its job's payload at event time, so a missing variable
 * fails the action in the run (not the job, later). Throws MissingVariablesError or
 * ActionFailure.
 */
export async function externalJobPayload(
  action: ExternalAction,
  ctx: ExternalActionContext,
): Promise<ExternalJobPayload> {
  const { scope, origin } = ctx;
  switch (action.type) {
    case 'send_whatsapp_template': {
      const payload: WhatsAppTemplatePayload = {
        ...origin,
        to: whatsappRecipient(ctx),
        template: action.template,
        language: action.language,
        parameters: renderAll(action.variables, scope),
      };
      return payload;
    }
    case 'send_whatsapp_text': {
      const payload: WhatsAppTextPayload = {
        ...origin,
        to: whatsappRecipient(ctx),
        text: renderTemplate(action.text, scope),
      };
      return payload;
    }
    case 'send_email': {
      const [subject, body] = renderAll([action.subject, action.body], scope);
      const to = action.to ? renderTemplate(action.to, scope) : ctx.lead?.email;
      if (!to)
        throw new ActionFailure('no_recipient', 'The lead has no email address and the action names none');
      const payload: SendEmailPayload = { ...origin, to, subject: subject!, body: body! };
      return payload;
    }
    case 'create_meet_link': {
      const [title, startText, ...attendees] = renderAll(
        [action.title, action.startAt, ...action.attendees],
        scope,
      );
      const startAt = await tenantInstant(ctx.trx, startText!, ctx.timezone);
      if (!startAt) throw new ActionFailure('invalid_date', `startAt is not an ISO date-time: ${startText}`);
      const payload: CreateMeetLinkPayload = {
        ...origin,
        title: title!,
        startAt: startAt.toISOString(),
        durationMinutes: action.durationMinutes,
        attendees,
      };
      return payload;
    }
    case 'call_webhook': {
      const payload: CallWebhookPayload = {
        ...origin,
        url: action.url,
        headers: action.headers ?? {},
        timeoutMs: action.timeoutMs,
        body: {
          event: scope.event,
          variables: scope.variables,
          lead: ctx.lead,
          rule: ctx.rule,
          runId: origin.runId,
          actionIndex: origin.actionIndex,
        },
      };
      return payload;
    }
  }
}
