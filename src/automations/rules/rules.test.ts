import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../../testing/job-context.js';
import { syncedTemplate } from '../../testing/whatsapp-template.js';
import { startTestApp, type TestApp, type TestTenant } from '../../testing/test-app.js';
import { issueExampleRule } from '../../testing/example-rule.js';
import { externalTriggers } from './triggers.js';

describe('automation rules', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  const paths = (res: { body: any }) => res.body.error.details.map((detail: any) => detail.path);

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createTenant('rulesa');
    b = await t.createTenant('rulesb');
    await syncedTemplate((await tenantHandle(t, a.tenant.id)).db, 'welcome', 'en');
  });
  afterAll(() => t?.close());

  it('accepts the example rule of the issue verbatim, and lists, shows, updates and deletes it', async () => {
    const created = await t.automations(a).post('/rules', issueExampleRule);
    expect(created.status).toBe(201);
    const rule = created.body.data;
    expect(rule).toMatchObject({ ...issueExampleRule, delayMinutes: null });
    expect((await t.automations(a).get(`/rules/${rule.id}`)).body.data.actions).toEqual(
      issueExampleRule.actions,
    );
    expect(
      (await t.automations(a).get('/rules?trigger=form_submitted')).body.data.items.map((r: any) => r.id),
    ).toEqual([rule.id]);
    expect((await t.automations(a).get('/rules?trigger=deal_won')).body.data.items).toEqual([]);

    const patched = await t.automations(a).patch(`/rules/${rule.id}`, { active: false, delayMinutes: 15 });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({ active: false, delayMinutes: 15, name: 'Tag web forms' });
    expect(patched.body.data.actions).toEqual(issueExampleRule.actions);

    expect((await t.automations(a).delete(`/rules/${rule.id}`)).body.data).toEqual({
      id: rule.id,
      deleted: true,
    });
    expect((await t.automations(a).get(`/rules/${rule.id}`)).status).toBe(404);
  });

  it('rejects an unknown trigger, operator and action type with the field path', async () => {
    const badTrigger = await t.automations(a).post('/rules', { ...issueExampleRule, trigger: 'form_sent' });
    expect(badTrigger.status).toBe(400);
    expect(badTrigger.body.error.code).toBe('validation_failed');
    expect(paths(badTrigger)).toEqual(['body.trigger']);

    const badOp = await t.automations(a).post('/rules', {
      ...issueExampleRule,
      conditions: [{ field: 'lead.source', op: 'like', value: 'web%' }],
    });
    expect(badOp.status).toBe(400);
    expect(paths(badOp)).toEqual(['body.conditions.0.op']);

    const badAction = await t.automations(a).post('/rules', {
      ...issueExampleRule,
      actions: [
        { type: 'add_tag', tag: 'x' },
        { type: 'send_fax', number: '1' },
      ],
    });
    expect(badAction.status).toBe(400);
    expect(paths(badAction)).toEqual(['body.actions.1.type']);

    const badValue = await t.automations(a).post('/rules', {
      ...issueExampleRule,
      conditions: [{ field: 'lead.score', op: 'in', value: 5 }],
    });
    expect(paths(badValue)).toEqual(['body.conditions.0.value']);
  });

  it('rejects unknown fields and bad template variables', async () => {
    const badField = await t.automations(a).post('/rules', {
      ...issueExampleRule,
      conditions: [{ field: 'lead.favouriteColour', op: 'eq', value: 'red' }],
    });
    expect(badField.status).toBe(400);
    expect(paths(badField)).toEqual(['body.conditions.0.field']);
    expect(badField.body.error.details[0].message).toContain('not a lead field');

    const badVariables = await t.automations(a).post('/rules', {
      ...issueExampleRule,
      actions: [
        { type: 'send_whatsapp_text', text: 'Hi {{lead.nickname}}' },
        { type: 'add_note', body: 'Booked {{ time' },
        {
          type: 'send_whatsapp_template',
          template: 'welcome',
          language: 'en',
          variables: ['{{patient name}}'],
        },
      ],
    });
    expect(badVariables.status).toBe(400);
    expect(paths(badVariables)).toEqual([
      'body.actions.0.text',
      'body.actions.1.body',
      'body.actions.2.variables.0',
    ]);
  });

  it('rejects an unknown agent at save time, on create and on update', async () => {
    const ghost = '00000000-0000-4000-8000-000000000000';
    const rule = { name: 'Assign', trigger: 'form_submitted', actions: [{ type: 'assign', agentId: ghost }] };
    const res = await t.automations(a).post('/rules', rule);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: 'body.actions.0.agentId', message: `Unknown agent ${ghost}` },
    ]);

    const agent = await t.crm(a).post('/agents', { name: 'Asha' });
    const ok = await t.automations(a).post('/rules', {
      ...rule,
      actions: [{ type: 'assign', agentId: agent.body.data.id }],
    });
    expect(ok.status).toBe(201);
    const update = await t.automations(a).patch(`/rules/${ok.body.data.id}`, {
      actions: [{ type: 'assign', agentId: ghost }],
    });
    expect(update.status).toBe(400);
    expect(paths(update)).toEqual(['body.actions.0.agentId']);
  });

  it('checks WhatsApp templates against the synced ones: only approved ones pass', async () => {
    const c = await t.createTenant('rulesc');
    const handle = await tenantHandle(t, c.tenant.id);
    // Nothing synced yet: the template cannot be known to be approved.
    expect((await t.automations(c).post('/rules', issueExampleRule)).status).toBe(400);

    await syncedTemplate(handle.db, 'welcome', 'en');
    await syncedTemplate(handle.db, 'promo', 'en', 'PENDING');
    expect((await t.automations(c).post('/rules', issueExampleRule)).status).toBe(201);
    for (const [template, language] of [
      ['promo', 'en'],
      ['welcome', 'hi'],
      ['nope', 'en'],
    ]) {
      const res = await t.automations(c).post('/rules', {
        ...issueExampleRule,
        actions: [issueExampleRule.actions[0], { ...issueExampleRule.actions[1], template, language }],
      });
      expect(res.status).toBe(400);
      expect(paths(res)).toEqual(['body.actions.1.template']);
    }
  });

  it('requires reminderMinutesBefore exactly on appointment_reminder rules', async () => {
    const actions = [{ type: 'add_note', body: 'Reminder for {{patientName}}' }];
    const missing = await t
      .automations(a)
      .post('/rules', { name: 'R', trigger: 'appointment_reminder', actions });
    expect(paths(missing)).toEqual(['body.reminderMinutesBefore']);
    const misplaced = await t.automations(a).post('/rules', {
      name: 'R',
      trigger: 'form_submitted',
      reminderMinutesBefore: 30,
      actions,
    });
    expect(paths(misplaced)).toEqual(['body.reminderMinutesBefore']);
    const ok = await t.automations(a).post('/rules', {
      name: 'R',
      trigger: 'appointment_reminder',
      reminderMinutesBefore: 30,
      actions,
    });
    expect(ok.status).toBe(201);
  });

  it("answers 404 for another tenant's rule", async () => {
    const created = await t.automations(a).post('/rules', { ...issueExampleRule, name: 'Private' });
    const id = created.body.data.id;
    expect((await t.automations(b).get(`/rules/${id}`)).status).toBe(404);
    expect((await t.automations(b).patch(`/rules/${id}`, { active: false })).status).toBe(404);
    expect((await t.automations(b).delete(`/rules/${id}`)).status).toBe(404);
    expect((await t.automations(b).get('/rules')).body.data.items).toEqual([]);
    expect((await t.automations(a).get(`/rules/${id}`)).status).toBe(200);
  });

  it('lists the valid triggers when an event names an unknown one', async () => {
    const res = await t.automations(a).post('/events', { trigger: 'form_sent', phone: '9876543210' });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('body.trigger');
    for (const trigger of externalTriggers) expect(res.body.error.details[0].message).toContain(trigger);
  });
});
