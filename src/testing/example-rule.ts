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

/**
 * `pnpm bench:automations`' rules (also counted by event-statements.test.ts): a web form tags
 * and notes its lead; the tag, cascaded, changes the score.
 */
export const webFormRules = [
  {
    name: 'Web forms',
    trigger: 'form_submitted',
    conditions: [{ field: 'lead.source', op: 'eq', value: 'website' }],
    actions: [
      { type: 'add_tag', tag: 'web-form' },
      { type: 'add_note', body: 'Form {{formName}} from {{lead.firstName}}' },
    ],
  },
  {
    name: 'Tagged',
    trigger: 'tag_added',
    conditions: [{ field: 'variables.tag', op: 'eq', value: 'web-form' }],
    actions: [{ type: 'change_score', by: 5 }],
  },
];
