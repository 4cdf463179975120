import { absent, ownValueAt } from '../../email/index.js';
import { plainLeadFields } from '../../leads/index.js';

/**
 * `{{placeholder}}` templates in rule actions. A placeholder is an event variable
 * (`{{patientName}}`, `{{variables.patientName}}`), a lead field (`{{lead.firstName}}`,
 * `{{lead.customFields.plan}}`), an event fact (`{{event.trigger}}`, `{{event.phone}}`) or,
 * after a `create_meet_link` action of the same rule, its meeting (`{{meet.link}}`).
 */
const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;
const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Lead fields a rule may read (the API names of the lead). */
export const leadFields = [
  'id',
  'ref',
  'firstName',
  'lastName',
  'name',
  'phone',
  'email',
  ...plainLeadFields,
  'status',
  'tags',
  'score',
  'hot',
  'followUpAt',
  'assignedAgentId',
  'createdAt',
] as const;
const leadFieldSet = new Set<string>(leadFields);
const eventFacts = new Set(['trigger', 'phone', 'id']);
/** What a rule's later actions may read of the meeting its `create_meet_link` created. */
export const meetFacts = ['link', 'id', 'start', 'end'] as const;
const meetFactSet = new Set<string>(meetFacts);

/** Why a field path cannot be read, or undefined when it can. */
export function fieldPathProblem(path: string): string | undefined {
  const [root, ...rest] = path.split('.');
  if (rest.length === 0) {
    return identifier.test(path) ? undefined : `'${path}' is not a variable name`;
  }
  if (!rest.every((part) => identifier.test(part))) return `'${path}' is not a valid path`;
  switch (root) {
    case 'variables':
      return undefined;
    case 'lead':
      if (rest[0] === 'customFields' && rest.length === 2) return undefined;
      return rest.length === 1 && leadFieldSet.has(rest[0]!)
        ? undefined
        : `'${path}' is not a lead field (known: ${leadFields.join(', ')}, customFields.<key>)`;
    case 'event':
      return rest.length === 1 && eventFacts.has(rest[0]!)
        ? undefined
        : `'${path}' is not an event fact (known: event.trigger, event.phone, event.id)`;
    case 'meet':
      return rest.length === 1 && meetFactSet.has(rest[0]!)
        ? undefined
        : `'${path}' is not a meeting fact (known: ${meetFacts.map((fact) => `meet.${fact}`).join(', ')})`;
    default:
      return `'${path}' must start with lead., variables., event. or meet., or be a plain variable name`;
  }
}

/** Every problem in a template's syntax or placeholders (empty when it is fine). */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const match of template.matchAll(placeholder)) {
    const problem = fieldPathProblem(match[1]!);
    if (problem) problems.push(problem);
  }
  if (template.replace(placeholder, '').match(/\{\{|\}\}/)) problems.push('unbalanced {{ or }}');
  return problems;
}

/** What templates and conditions read: the lead (API shape), the event's variables and facts. */
export interface TemplateScope {
  lead: Record<string, unknown> | null;
  variables: Record<string, unknown>;
  event: { trigger: string; phone: string | null; id: string };
  /** The meeting of the run's earlier `create_meet_link` action, once it exists. */
  meet?: Record<string, unknown> | null;
}

/** The value at a field path, or undefined when it is missing. */
export function readPath(scope: TemplateScope, path: string): unknown {
  const value = resolve(scope, path);
  return value === absent ? undefined : value;
}

function resolve(scope: TemplateScope, path: string): unknown {
  const [root, ...rest] = path.split('.');
  if (rest.length === 0) return ownValueAt(scope.variables, [path]);
  if (root === 'variables') return ownValueAt(scope.variables, rest);
  if (root === 'lead') return ownValueAt(scope.lead, rest);
  if (root === 'event') return ownValueAt(scope.event, rest);
  if (root === 'meet') return ownValueAt(scope.meet, rest);
  return absent;
}

/** A template could not be rendered: the placeholders that have no value. */
export class MissingVariablesError extends Error {
  readonly code = 'missing_variables';
  constructor(readonly missing: string[]) {
    super(`No value for ${missing.map((name) => `{{${name}}}`).join(', ')}`);
    this.name = 'MissingVariablesError';
  }
}

/** Renders one template; throws MissingVariablesError naming every missing placeholder. */
export function renderTemplate(template: string, scope: TemplateScope): string {
  const missing: string[] = [];
  const text = template.replace(placeholder, (_whole, path: string) => {
    const value = resolve(scope, path);
    if (value === absent || value === null || value === undefined || value === '') {
      missing.push(path);
      return '';
    }
    return value instanceof Date
      ? value.toISOString()
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  });
  if (missing.length > 0) throw new MissingVariablesError([...new Set(missing)]);
  return text;
}

/** Renders several templates, collecting the missing placeholders of all of them. */
export function renderAll(templates: string[], scope: TemplateScope): string[] {
  const missing: string[] = [];
  const rendered = templates.map((template) => {
    try {
      return renderTemplate(template, scope);
    } catch (error) {
      if (!(error instanceof MissingVariablesError)) throw error;
      missing.push(...error.missing);
      return '';
    }
  });
  if (missing.length > 0) throw new MissingVariablesError([...new Set(missing)]);
  return rendered;
}
