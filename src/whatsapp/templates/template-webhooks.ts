import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import type { JobContext } from '../../queue/job-types.js';
import { applyTemplateStatus, updateTemplate, type TemplateRef } from './templates.repository.js';
import type { StoredChange } from '../webhook/webhook-payload.js';

// Meta sends the template id as a JSON number: exact below 2^53; a larger one would not match
// our copy's id, and the name and language would find the template instead.
const templateRefSchema = z
  .looseObject({
    message_template_id: z.union([z.number(), z.string()]),
    message_template_name: z.string(),
    message_template_language: z.string(),
  })
  .transform((value): TemplateRef => ({
    templateId: String(value.message_template_id),
    name: value.message_template_name,
    language: value.message_template_language,
  }));

const statusUpdateSchema = z.looseObject({
  event: z.string(),
  reason: z.string().nullish(),
  message_template_category: z.string().optional(),
  other_info: z.record(z.string(), z.unknown()).optional(),
  rejection_info: z.record(z.string(), z.unknown()).optional(),
  disable_info: z.record(z.string(), z.unknown()).optional(),
});

/**
 * The status each `message_template_status_update` event puts the template in. REINSTATED
 * makes it sendable again. Events missing here leave the status alone: FLAGGED and LOCKED
 * templates can still be sent, and the status an UNARCHIVED one returns to is not said (the
 * next sync brings it).
 */
const statusOfEvent: Record<string, string> = {
  APPROVED: 'APPROVED',
  REINSTATED: 'APPROVED',
  PENDING: 'PENDING',
  REJECTED: 'REJECTED',
  PAUSED: 'PAUSED',
  DISABLED: 'DISABLED',
  IN_APPEAL: 'IN_APPEAL',
  ARCHIVED: 'ARCHIVED',
  PENDING_DELETION: 'PENDING_DELETION',
  DELETED: 'DELETED',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
};

type Ctx = JobContext<unknown, Pick<AppServices, 'realtime'>>;

type AccountChangeHandler = (ctx: Ctx, ref: TemplateRef, change: StoredChange) => Promise<void>;

const handlers: Record<string, AccountChangeHandler> = {
  message_template_status_update: applyStatusUpdate,
  message_template_quality_update: applyQualityUpdate,
  template_category_update: applyCategoryUpdate,
};

/**
 * Applies an account-level change (arrived by WABA) to the tenant's templates. Other
 * account-level fields are kept in `whatsapp_events` only; a change of an unexpected shape
 * is logged and skipped, never failing the job.
 */
export async function applyAccountChange(ctx: Ctx, change: StoredChange): Promise<void> {
  const handler = handlers[change.field];
  if (!handler) {
    ctx.logger.debug({ field: change.field }, 'whatsapp account-level change kept, not applied');
    return;
  }
  const ref = templateRefSchema.safeParse(change.value);
  if (!ref.success) {
    ctx.logger.warn({ field: change.field, issues: ref.error.issues }, 'whatsapp template change skipped');
    return;
  }
  await handler(ctx, ref.data, change);
}

async function applyStatusUpdate(ctx: Ctx, ref: TemplateRef, change: StoredChange): Promise<void> {
  const parsed = statusUpdateSchema.safeParse(change.value);
  const status = parsed.success ? statusOfEvent[parsed.data.event] : undefined;
  if (!parsed.success || !status) {
    ctx.logger.info({ template: ref, value: change.value }, 'whatsapp template event leaves its status');
    return;
  }
  const { event, reason, message_template_category, other_info, rejection_info, disable_info } = parsed.data;
  const info =
    other_info || rejection_info || disable_info ? { other_info, rejection_info, disable_info } : null;
  const stored = await applyTemplateStatus(ctx.handle.db, {
    ...ref,
    status,
    reason: reason ?? null,
    info,
    category: message_template_category ?? null,
    at: change.entryTime ? new Date(change.entryTime * 1000) : new Date(),
  });
  if (!stored) return;
  ctx.services.realtime.emitToTenant(ctx.handle.tenant.id, 'template.status', {
    templateId: stored.template_id,
    name: stored.name,
    language: stored.language,
    status: stored.status,
    event,
    reason: stored.status_reason,
  });
}

async function applyQualityUpdate(ctx: Ctx, ref: TemplateRef, change: StoredChange): Promise<void> {
  const parsed = z.looseObject({ new_quality_score: z.string() }).safeParse(change.value);
  if (parsed.success) {
    await updateTemplate(ctx.handle.db, ref, { quality_score: parsed.data.new_quality_score });
  }
}

/** `new_category` is the template's category now, also in a notice of a coming recategorisation. */
async function applyCategoryUpdate(ctx: Ctx, ref: TemplateRef, change: StoredChange): Promise<void> {
  const parsed = z.looseObject({ new_category: z.string() }).safeParse(change.value);
  if (parsed.success) await updateTemplate(ctx.handle.db, ref, { category: parsed.data.new_category });
}
