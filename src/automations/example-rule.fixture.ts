import type { TenantHandle } from '../tenancy/connection-manager.js';

/** The rule from the issue, verbatim. */
export const issueExampleRule = {
  name: 'Tag web forms',
  trigger: 'form_submitted',
  conditions: [{ field: 'lead.source', op: 'eq', value: 'website' }],
  actions: [
    { type: 'add_tag', tag: 'web-form' },
    {
      type: 'send_whatsapp_template',
      template: 'welcome',
      language: 'en',
      variables: ['{{lead.firstName}}'],
    },
  ],
  active: true,
};

/** Stores a synced WhatsApp template, as the channels' template sync would. */
export async function syncedTemplate(
  handle: TenantHandle,
  name = 'welcome',
  language = 'en',
  status = 'APPROVED',
) {
  await handle.db
    .insertInto('whatsapp_templates')
    .values({
      name,
      language,
      status,
      template_id: `tpl-${name}-${language}`,
      category: 'UTILITY',
      parameter_format: 'POSITIONAL',
      components: JSON.stringify([]),
    })
    .execute();
}
