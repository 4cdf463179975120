import { z } from 'zod';
import type { FieldIssue } from './app-error.js';

/**
 * The input contract every route's params, query and body go through (`ApiRouter`'s
 * `parseInput`), for Express and hot routes alike. README "Input rules" is its user-facing text.
 *
 * - Unknown keys are refused: every object schema of a route is made strict at registration
 *   (`strictInput`), nested objects included; a `z.record` (free-form map such as `customFields`)
 *   and a `z.looseObject` (a provider's payload) keep accepting any key.
 * - Text the database cannot store is refused before validation (`unstorableText`): NUL (U+0000)
 *   and unpaired UTF-16 surrogates, in values and in keys, at any depth. Other control characters
 *   are data, stored as given.
 * - A route may accept documented aliases of its top-level fields (`applyAliases`).
 */

type Def = Record<string, unknown> & { type: string };
const defOf = (schema: z.ZodType) => schema._zod.def as unknown as Def;
const clone = (schema: z.ZodType, changes: Record<string, unknown>) =>
  schema.clone({ ...defOf(schema), ...changes } as never) as z.ZodType;

/**
 * The schema with every plain object strict (unknown keys are an `unrecognized_keys` issue).
 * Objects declared loose stay loose; intersections are left as they are (strict halves would
 * refuse each other's keys). Memoized, so shared and recursive schemas convert once.
 */
export function strictInput<S extends z.ZodType>(schema: S): S {
  return convert(schema, new Map()) as S;
}

function convert(schema: z.ZodType, seen: Map<z.ZodType, z.ZodType>): z.ZodType {
  const done = seen.get(schema);
  if (done) return done;
  const def = defOf(schema);
  const inner = (key: string) => convert(def[key] as z.ZodType, seen);
  let result: z.ZodType;
  switch (def.type) {
    case 'object': {
      const catchall = def.catchall as z.ZodType | undefined;
      // A loose object (catchall unknown/any) or one with a typed catchall keeps its catchall.
      const strict = catchall === undefined || defOf(catchall).type === 'never';
      const shape = (schema as unknown as z.ZodObject).shape;
      result = clone(schema, {
        shape: Object.fromEntries(Object.entries(shape).map(([key, value]) => [key, convert(value, seen)])),
        ...(strict ? { catchall: z.never() } : {}),
      });
      break;
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      result = clone(schema, { innerType: inner('innerType') });
      break;
    case 'array':
      result = clone(schema, { element: inner('element') });
      break;
    case 'record':
      result = clone(schema, { valueType: inner('valueType') });
      break;
    case 'union':
      result = clone(schema, {
        options: (def.options as z.ZodType[]).map((option) => convert(option, seen)),
      });
      break;
    case 'pipe':
      result = clone(schema, { in: inner('in'), out: inner('out') });
      break;
    case 'tuple':
      result = clone(schema, {
        items: (def.items as z.ZodType[]).map((item) => convert(item, seen)),
        rest: def.rest ? inner('rest') : def.rest,
      });
      break;
    case 'lazy': {
      const getter = def.getter as () => z.ZodType;
      let converted: z.ZodType | undefined;
      result = clone(schema, { getter: () => (converted ??= convert(getter(), seen)) });
      break;
    }
    default:
      result = schema;
  }
  seen.set(schema, result);
  return result;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `unstorableText` would refuse this string (a quick test for a hot loop). */
export const isUnstorable = (text: string): boolean => text.includes('\u0000') || loneSurrogate.test(text);

/** What `unstorableText` refuses in a string, or undefined when it is fine. */
function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'Contains a NUL character (U+0000), which is not accepted';
  if (loneSurrogate.test(text)) return 'Contains an unpaired UTF-16 surrogate, which is not valid Unicode';
  return undefined;
}

/**
 * Every place in `value` (strings, and the keys of objects, at any depth) holding text the
 * database cannot store, named `location.a.0.b` as validation issues are.
 */
export function unstorableText(location: string, value: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const visit = (node: unknown, path: string, depth: number) => {
    if (typeof node === 'string') {
      const message = unstorable(node);
      if (message) issues.push({ path, message });
      return;
    }
    // Bodies are depth-limited before parsing (HTTP_JSON_MAX_DEPTH); this bound is a backstop.
    if (node === null || typeof node !== 'object' || depth > 1000 || Buffer.isBuffer(node)) return;
    for (const [key, child] of Object.entries(node)) {
      const keyProblem = unstorable(key);
      const named = `${path}.${keyProblem ? JSON.stringify(key) : key}`;
      if (keyProblem)
        issues.push({
          path: named,
          message: `The key ${keyProblem.charAt(0).toLowerCase()}${keyProblem.slice(1)}`,
        });
      visit(child, named, depth + 1);
    }
  };
  visit(value, location, 0);
  return issues;
}

/**
 * The input with each alias renamed to its field (`{ assignedStates: 'territories' }`); giving
 * both an alias and its field is an issue, as the two could disagree.
 */
export function applyAliases(
  location: string,
  aliases: Readonly<Record<string, string>> | undefined,
  value: unknown,
  issues: FieldIssue[],
): unknown {
  if (!aliases || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const input = value as Record<string, unknown>;
  let renamed: Record<string, unknown> | undefined;
  for (const [alias, field] of Object.entries(aliases)) {
    if (!Object.hasOwn(input, alias)) continue;
    if (Object.hasOwn(input, field)) {
      issues.push({
        path: `${location}.${alias}`,
        message: `"${alias}" is an alias of "${field}": give one of them, not both`,
      });
      continue;
    }
    renamed ??= { ...input };
    renamed[field] = renamed[alias];
    delete renamed[alias];
  }
  return renamed ?? value;
}

/**
 * The known name nearest to an unknown one, when it is close enough to be a slip: the same
 * after ignoring case, `_` and `-` (`first_name` → `firstName`), or within an edit distance of
 * about a third of its length (`teritories` → `territories`).
 */
export function nearestName(unknown: string, known: readonly string[]): string | undefined {
  const normal = (name: string) => name.toLowerCase().replace(/[_-]/g, '');
  const target = normal(unknown);
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(target, normal(name));
    if (distance < (best?.distance ?? Infinity)) best = { name, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(1, Math.floor(target.length / 3)) ? best.name : undefined;
}

/**
 * Edit distance counting a swap of neighbours as one edit (optimal string alignment), written
 * here rather than taken from a package: a dozen lines on names of a few dozen characters, run
 * only when a request has already failed.
 */
function editDistance(a: string, b: string): number {
  const row = (length: number) => Array.from({ length: length + 1 }, (_, j) => j);
  let before = row(b.length);
  let previous = row(b.length);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        current[j] = Math.min(current[j]!, before[j - 2]! + 1);
      }
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Zod issues as field issues, an `unrecognized_keys` issue as one issue per unknown key
 * (`body.leadSourc`: unknown field, did you mean "leadSource"?). `parse` passes `unknownKeys`
 * as the parse's error map, which records the object's known names on the issue.
 */
export function inputIssues(
  location: string,
  issues: readonly {
    path: readonly PropertyKey[];
    message: string;
    code?: string;
    keys?: string[];
    known?: string[];
  }[],
): FieldIssue[] {
  return issues.flatMap((issue) => {
    const at = [location, ...issue.path.map(String)].join('.');
    if (issue.code !== 'unrecognized_keys' || !issue.keys) return [{ path: at, message: issue.message }];
    return issue.keys.map((key) => {
      const near = nearestName(key, issue.known ?? []);
      return {
        path: `${at}.${key}`,
        message: near ? `Unknown field; did you mean "${near}"?` : 'Unknown field',
      };
    });
  });
}

/** The parse's error map: keeps an unknown key's object's known names on the issue for `inputIssues`. */
export const unknownKeys: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const shape = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod
    ?.def?.shape;
  Object.assign(issue, { known: shape ? Object.keys(shape) : [] });
  return 'Unknown field';
};

const earliest = new Date('0001-01-01T00:00:00.000Z');
const latest = new Date('9999-12-31T23:59:59.999Z');
const inStorableRange = (date: Date) => date >= earliest && date <= latest;
const rangeMessage = 'Expected a date between the years 0001 and 9999';

/**
 * A date or timestamp input: anything `new Date` reads (ISO 8601 recommended), within the years
 * 0001–9999, the range every date column stores and ISO 8601 writes with four digits.
 */
export const dateInput = () => z.coerce.date().refine(inStorableRange, rangeMessage);

/** An ISO 8601 timestamp with an offset (`2026-01-02T10:00:00+05:30`), as a Date. */
export const isoDateTimeInput = () =>
  z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .refine(inStorableRange, rangeMessage);

/** An integer that fits an `integer` (int4) column. */
export const int4Input = () => z.number().int().min(-2_147_483_648).max(2_147_483_647);

/** A query parameter listing values, comma-separated or repeated (`?status=a,b` or `?status=a&status=b`). */
export const listParam = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) =>
      (Array.isArray(value) ? value : [value])
        .flatMap((part) => (typeof part === 'string' ? part.split(',') : [part]))
        .map((part) => (typeof part === 'string' ? part.trim() : part))
        .filter((part) => part !== ''),
    z.array(item).min(1).max(50),
  );

/** A `true`/`false` query parameter, as a boolean. */
export const flagParam = () => z.enum(['true', 'false']).transform((value) => value === 'true');
