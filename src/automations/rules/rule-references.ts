import { unknownAgentIds } from '../../agents/index.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { AppError } from '../../http/app-error.js';
import { templateStatus } from '../../whatsapp/index.js';
import type { RuleInput } from './rule.schemas.js';
import { internalUrlProblem, webhookAddressNotAllowed } from '../actions/webhook-address.js';

/**
 * Checks what a rule refers to outside itself (agents, WhatsApp templates, webhook hosts),
 * so a rule that could never work is rejected at save time: 400 with the field path of
 * each reference.
 */
export async function assertRuleReferences(
  handle: TenantHandle,
  rule: RuleInput,
  options: { allowPrivateWebhooks: boolean },
): Promise<void> {
  const problems: { path: string; message: string }[] = [];
  const agentIds = rule.actions.flatMap((action) =>
    action.type === 'assign' && action.agentId ? [action.agentId] : [],
  );
  const unknownAgents = new Set(await unknownAgentIds(handle.db, agentIds));

  for (const [index, action] of rule.actions.entries()) {
    if (action.type === 'assign' && action.agentId && unknownAgents.has(action.agentId)) {
      problems.push({ path: `body.actions.${index}.agentId`, message: `Unknown agent ${action.agentId}` });
    }
    const internal =
      action.type === 'call_webhook' && !options.allowPrivateWebhooks
        ? internalUrlProblem(action.url)
        : undefined;
    if (internal) {
      problems.push({
        path: `body.actions.${index}.url`,
        message: `${webhookAddressNotAllowed}: ${internal}`,
      });
    }
    if (
      action.type === 'send_whatsapp_template' &&
      (await templateStatus(handle.db, action.template, action.language)) !== 'APPROVED'
    ) {
      problems.push({
        path: `body.actions.${index}.template`,
        message: `No approved WhatsApp template '${action.template}' (${action.language})`,
      });
    }
  }
  if (problems.length > 0) {
    throw AppError.invalidFields(problems, 'The rule refers to things that do not exist');
  }
}
