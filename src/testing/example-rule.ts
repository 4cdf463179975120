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
