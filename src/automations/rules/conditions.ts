import type { Condition } from './rule.schemas.js';
import { readPath, type TemplateScope } from '../engine/template-text.js';

const isEmpty = (value: unknown) =>
  value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

const same = (a: unknown, b: unknown) =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;

/** Numbers as numbers, dates and ISO strings as instants; undefined when not comparable. */
function compare(actual: unknown, expected: number | string): number | undefined {
  const asNumber = (value: unknown) =>
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  const asInstant = (value: unknown) =>
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  const [a, b] = [asNumber(actual), asNumber(expected)];
  if (!Number.isNaN(a) && !Number.isNaN(b)) return a - b;
  const [x, y] = [asInstant(actual), asInstant(expected)];
  if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  return undefined;
}

/** Whether one condition holds; a list field (`lead.tags`) matches `eq`/`in` on any element. */
export function conditionHolds(condition: Condition, scope: TemplateScope): boolean {
  const actual = readPath(scope, condition.field);
  const values = Array.isArray(actual) ? actual : [actual];
  switch (condition.op) {
    case 'eq':
      return (
        values.some((value) => same(value, condition.value)) || (condition.value === null && isEmpty(actual))
      );
    case 'neq':
      return !values.some((value) => same(value, condition.value));
    case 'in':
      return values.some((value) => condition.value.some((option) => same(value, option)));
    case 'contains':
      return Array.isArray(actual)
        ? actual.some((value) => same(value, condition.value))
        : typeof actual === 'string' && actual.toLowerCase().includes(String(condition.value).toLowerCase());
    case 'exists':
      return isEmpty(actual) !== condition.value;
    case 'gt':
    case 'lt': {
      if (Array.isArray(actual)) return false;
      const order = compare(actual, condition.value);
      return order !== undefined && (condition.op === 'gt' ? order > 0 : order < 0);
    }
  }
}

/** Every condition holds (no conditions: always). */
export function conditionsHold(conditions: Condition[], scope: TemplateScope): boolean {
  return conditions.every((condition) => conditionHolds(condition, scope));
}
