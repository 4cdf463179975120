import { describe, expect, it } from 'vitest';
import { conditionHolds } from './conditions.js';
import { conditionSchema } from './rule.schemas.js';
import {
  MissingVariablesError,
  renderAll,
  renderTemplate,
  templateProblems,
  type TemplateScope,
} from '../engine/template-text.js';

const scope: TemplateScope = {
  lead: {
    firstName: 'Dhanesh',
    source: 'website',
    tags: ['vip', 'web-form'],
    score: 72,
    company: null,
    createdAt: new Date('2026-11-20T10:00:00Z'),
    customFields: { plan: 'gold' },
  },
  variables: { patientName: 'Dhanesh', amount: 1500, time: 'Monday 10AM', nested: { city: 'Pune' } },
  event: { trigger: 'form_submitted', phone: '+918143963821', id: 'e1' },
};

const holds = (condition: unknown) => conditionHolds(conditionSchema.parse(condition), scope);

describe('conditions', () => {
  it('eq and neq compare case-insensitively, and match any element of a list', () => {
    expect(holds({ field: 'lead.source', op: 'eq', value: 'Website' })).toBe(true);
    expect(holds({ field: 'lead.source', op: 'eq', value: 'referral' })).toBe(false);
    expect(holds({ field: 'lead.tags', op: 'eq', value: 'vip' })).toBe(true);
    expect(holds({ field: 'lead.source', op: 'neq', value: 'referral' })).toBe(true);
    expect(holds({ field: 'lead.tags', op: 'neq', value: 'vip' })).toBe(false);
    expect(holds({ field: 'lead.company', op: 'eq', value: null })).toBe(true);
    expect(holds({ field: 'variables.amount', op: 'eq', value: 1500 })).toBe(true);
  });

  it('in, contains and exists', () => {
    expect(holds({ field: 'lead.source', op: 'in', value: ['facebook', 'website'] })).toBe(true);
    expect(holds({ field: 'lead.tags', op: 'in', value: ['cold', 'hot'] })).toBe(false);
    expect(holds({ field: 'lead.tags', op: 'contains', value: 'web-form' })).toBe(true);
    expect(holds({ field: 'variables.time', op: 'contains', value: 'monday' })).toBe(true);
    expect(holds({ field: 'variables.time', op: 'contains', value: 'friday' })).toBe(false);
    expect(holds({ field: 'variables.patientName', op: 'exists' })).toBe(true);
    expect(holds({ field: 'variables.doctorName', op: 'exists' })).toBe(false);
    expect(holds({ field: 'doctorName', op: 'exists', value: false })).toBe(true);
    expect(holds({ field: 'lead.company', op: 'exists' })).toBe(false);
    expect(holds({ field: 'variables.nested.city', op: 'eq', value: 'pune' })).toBe(true);
    expect(holds({ field: 'lead.customFields.plan', op: 'eq', value: 'gold' })).toBe(true);
  });

  it('gt and lt compare numbers as numbers and dates as instants', () => {
    expect(holds({ field: 'lead.score', op: 'gt', value: 70 })).toBe(true);
    expect(holds({ field: 'lead.score', op: 'lt', value: 70 })).toBe(false);
    expect(holds({ field: 'variables.amount', op: 'gt', value: '999' })).toBe(true);
    expect(holds({ field: 'lead.createdAt', op: 'gt', value: '2026-11-01T00:00:00Z' })).toBe(true);
    expect(holds({ field: 'lead.createdAt', op: 'lt', value: '2026-11-01T00:00:00Z' })).toBe(false);
    expect(holds({ field: 'lead.source', op: 'gt', value: 5 })).toBe(false);
    expect(holds({ field: 'variables.missing', op: 'lt', value: 5 })).toBe(false);
  });
});

describe('template rendering', () => {
  it('renders event variables, variables.x, lead fields and event facts', () => {
    expect(
      renderTemplate(
        'Hi {{patientName}} ({{ lead.firstName }}), {{variables.time}} via {{event.trigger}}',
        scope,
      ),
    ).toBe('Hi Dhanesh (Dhanesh), Monday 10AM via form_submitted');
    expect(renderTemplate('Since {{lead.createdAt}}', scope)).toBe('Since 2026-11-20T10:00:00.000Z');
  });

  it('names every missing placeholder, across several templates', () => {
    expect(() => renderTemplate('{{doctorName}} at {{lead.company}}', scope)).toThrow(
      'No value for {{doctorName}}, {{lead.company}}',
    );
    try {
      renderAll(['{{doctorName}}', 'ok', '{{lead.company}} {{doctorName}}'], scope);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MissingVariablesError);
      expect((error as MissingVariablesError).missing).toEqual(['doctorName', 'lead.company']);
    }
    expect(() => renderTemplate('{{lead.firstName}}', { ...scope, lead: null })).toThrow(
      MissingVariablesError,
    );
  });

  it('reads only own data, never the members every object inherits', () => {
    for (const member of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      for (const path of [
        member,
        `variables.${member}`,
        `lead.${member}`,
        `event.${member}`,
        `variables.nested.${member}`,
      ]) {
        expect(() => renderTemplate(`A={{${path}}}`, scope)).toThrow(`No value for {{${path}}}`);
        expect(conditionHolds({ field: path, op: 'exists', value: true }, scope)).toBe(false);
      }
    }
    expect(() => renderTemplate('{{lead.customFields.constructor}}', scope)).toThrow(MissingVariablesError);
    expect(renderTemplate('{{lead.tags}}', scope)).toBe('["vip","web-form"]');
  });

  it('reads the meeting of an earlier create_meet_link as meet.*, missing until it exists', () => {
    const link = 'https://meet.google.com/abc-defg-hij';
    expect(renderTemplate('Join: {{meet.link}}', { ...scope, meet: { link } })).toBe(`Join: ${link}`);
    expect(() => renderTemplate('Join: {{meet.link}}', scope)).toThrow(MissingVariablesError);
    expect(templateProblems('{{meet.link}} {{meet.start}}')).toEqual([]);
    expect(templateProblems('{{meet.url}}')).toEqual([
      "'meet.url' is not a meeting fact (known: meet.link, meet.id, meet.start, meet.end)",
    ]);
  });
});
