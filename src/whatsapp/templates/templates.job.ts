import type { AppServices } from '../../app/services.js';
import type { CronDefinition } from '../../cron/cron-types.js';
import type { JobContext, JobKind, JobPayloads } from '../../queue/job-types.js';
import { toJobError } from '../graph-errors.js';
import { tenantIdsWithNumbers } from '../webhook/phone-number-routes.js';
import { replaceTemplates } from './templates.repository.js';
import { requireWhatsAppChannel } from '../whatsapp-config.js';

export const syncTemplatesJobKind = 'whatsapp.sync_templates' as const satisfies JobKind;

/** Replaces the tenant's copy of its WABA's message templates with what Meta lists now. */
export async function syncTemplates(
  ctx: JobContext<JobPayloads['whatsapp.sync_templates'], Pick<AppServices, 'secrets' | 'config'>>,
): Promise<{ templates: number }> {
  const { secret, client } = await requireWhatsAppChannel(ctx.services, ctx.handle.tenant.id);
  const listedAt = new Date();
  let templates;
  try {
    templates = await client.listTemplates(secret.wabaId);
  } catch (error) {
    throw toJobError(error, ctx.job.attempt);
  }
  await replaceTemplates(ctx.handle.db, templates, listedAt);
  return { templates: templates.length };
}

/** Queues one template sync per tenant with WhatsApp numbers, once a day. */
export const syncTemplatesCron: CronDefinition = {
  name: 'whatsapp.sync_templates',
  schedule: '17 3 * * *',
  async run(services: AppServices, tick: Date) {
    const day = tick.toISOString().slice(0, 10);
    for (const tenantId of await tenantIdsWithNumbers(services.platform)) {
      await services.queue.enqueue(
        tenantId,
        syncTemplatesJobKind,
        {},
        { idempotencyKey: `templates:${day}` },
      );
    }
  },
};
