/**
 * Request generation for the API fuzz test (`src/http/api-fuzz.test.ts`): from the OpenAPI document,
 * deterministic for a seed, valid-ish requests built from each operation's schemas and then broken in
 * one place (a body field, the whole body, a query parameter, a path parameter, a header).
 */

import { seededRandom as prng } from './seeded-random.js';

export { prng };

type Schema = Record<string, any>;

/** A stable 32-bit hash of a string (FNV-1a), to give each operation its own stream from the seed. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += '0123456789abcdef'[this.int(0, 15)];
    return out;
  }
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  letters(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += 'abcdefghijklmnopqrstuvwxyz'[this.int(0, 25)];
    return out;
  }
}

/** One HTTP request to send, and what it is for the report. */
export interface FuzzRequest {
  method: string;
  /** The operation, as the OpenAPI document names it: `POST /api/crm/leads/{id}`. */
  operation: string;
  /** Concrete path and query string, already encoded (junk deliberately left raw). */
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** What was broken, e.g. `body.phone = NUL string`. */
  mutation: string;
  /** Which credentials the runner adds: the tenant's, the platform token, or none. */
  auth: 'tenant' | 'platform' | 'none';
}

/** Values the generator needs from the running app: real ids per resource, a tenant's code. */
export interface FuzzContext {
  /** Real ids by the path segment before `{id}` (`leads`, `agents`, `rules`, …). */
  ids: Record<string, string[]>;
  /** Platform `{code}` values the fuzzer may change (a spare tenant, never the one it calls as). */
  tenantCodes: string[];
  keyIds: string[];
  /** The tenant the fuzzer calls as (webhook `{clientCode}`). */
  clientCode: string;
  jsonMaxDepth: number;
}

// ---------- values ----------

const RAW = '__FUZZRAW_';
/** A value sent as raw JSON text (numbers JSON.stringify cannot write, such as `1e400`). */
function raw(text: string, table: string[]): string {
  table.push(text);
  return `${RAW}${table.length - 1}__`;
}

function encodeJson(value: unknown, table: string[]): string {
  return JSON.stringify(value).replace(
    new RegExp(`"${RAW}(\\d+)__"`, 'g'),
    (_m, index: string) => table[Number(index)]!,
  );
}

/** An object whose own key `__proto__` survives JSON.stringify, as an attacker's JSON has it. */
function withOwnKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target)) Object.defineProperty(copy, k, own(v));
  Object.defineProperty(copy, key, own(value));
  return copy;
}
const own = (value: unknown) => ({ value, enumerable: true, writable: true, configurable: true });

const patternSamples: [RegExp, (r: Random, ctx: FuzzContext) => string][] = [
  [/\[01\]/, () => '09:30'],
  [/\^LD-/, (r) => `LD-${r.int(1, 50)}`],
  [/\{64\}/, (r) => r.hex(64)],
  [/\\w\{0,99\}/, (r) => `field_${r.letters(4)}`],
  [/\\r\\n\\0/, () => 'value'],
  [/\^\[a-zA-Z\]\[a-zA-Z0-9_\]/, (_r, ctx) => ctx.clientCode],
  [/\^\[a-z\]\[a-z0-9_\]/, (r) => `fz${r.letters(8)}`],
  [/\\d\{1,18\}/, (r) => String(r.int(1, 999999))],
  [/postgres/, () => 'postgres://fuzz@127.0.0.1:1/nothing'],
];

function resolve(schema: Schema | undefined, doc: Schema): Schema {
  if (!schema) return {};
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node: any, key: string) => node?.[key], doc);
    return resolve(target, doc);
  }
  return schema;
}

function typesOf(schema: Schema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (typeof schema.type === 'string') return [schema.type];
  if (schema.properties) return ['object'];
  return [];
}

/** A value the schema accepts as far as can be told from it (types, enums, formats, bounds, known patterns). */
export function validValue(
  schema: Schema,
  doc: Schema,
  r: Random,
  ctx: FuzzContext,
  name = '',
  depth = 0,
): unknown {
  schema = resolve(schema, doc);
  if (depth > 8) return undefined;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return r.pick(schema.enum);
  if ('default' in schema && r.chance(0.2)) return schema.default;
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) {
    const nonNull = variants.filter((v: Schema) => resolve(v, doc).type !== 'null');
    return validValue(r.pick(nonNull.length ? nonNull : variants), doc, r, ctx, name, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign(
      {},
      ...schema.allOf.map((part: Schema) => validValue(part, doc, r, ctx, name, depth + 1) ?? {}),
    );
  }
  const types = typesOf(schema).filter((type) => type !== 'null');
  const type = types.length ? r.pick(types) : 'string';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set<string>(schema.required ?? []);
      for (const [key, sub] of Object.entries<Schema>(schema.properties ?? {})) {
        if (!required.has(key) && !r.chance(0.5)) continue;
        const value = validValue(sub, doc, r, ctx, key, depth + 1);
        if (value !== undefined) out[key] = value;
      }
      if (!schema.properties && schema.additionalProperties && r.chance(0.5)) out[`k${r.letters(3)}`] = 'v';
      return out;
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      const max = Math.min(schema.maxItems ?? 3, min + 2);
      const items = [];
      for (let i = 0, n = r.int(min, Math.max(min, max)); i < n; i++) {
        items.push(validValue(schema.items ?? {}, doc, r, ctx, name, depth + 1));
      }
      return items;
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
      const max =
        schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 100);
      return r.int(Math.ceil(min), Math.max(Math.ceil(min), Math.floor(Math.min(max, min + 100))));
    }
    case 'boolean':
      return r.chance(0.5);
    default:
      return validString(schema, r, ctx, name);
  }
}

function validString(schema: Schema, r: Random, ctx: FuzzContext, name: string): string {
  if (schema.format === 'uuid') return r.pick(Object.values(ctx.ids).flat().concat(r.uuid()));
  if (schema.format === 'email') return `fuzz.${r.letters(6)}@example.com`;
  if (schema.format === 'date-time')
    return new Date(Date.UTC(2026, r.int(0, 11), r.int(1, 28), 10)).toISOString();
  if (schema.format === 'date') return `2026-0${r.int(1, 9)}-1${r.int(0, 9)}`;
  if (schema.format === 'uri') return `https://example.com/${r.letters(5)}`;
  if (typeof schema.pattern === 'string') {
    for (const [pattern, sample] of patternSamples) if (pattern.test(schema.pattern)) return sample(r, ctx);
  }
  const lower = name.toLowerCase();
  if (lower.includes('phone') || lower === 'to' || lower === 'from')
    return `+1415555${String(r.int(0, 9999)).padStart(4, '0')}`;
  if (lower.includes('timezone')) return 'Asia/Kolkata';
  if (lower.includes('country')) return r.pick(['US', 'IN', 'GB']);
  if (lower.includes('language')) return 'en';
  if (lower.includes('url') || lower.includes('webhook')) return 'https://example.com/hook';
  const min = schema.minLength ?? 1;
  const max = schema.maxLength ?? 40;
  const text = `fuzz ${name} ${r.letters(6)}`;
  if (text.length > max) return text.slice(0, Math.max(min, max));
  return text.length < min ? text.padEnd(min, 'x') : text;
}

// ---------- mutations ----------

const nulStrings = ['a\u0000b', '\u0000', 'name\u0000\u0000'];
const controlStrings = [
  '\u0001\u0002\u0003',
  'tab\there\r\nnew',
  '\u001b[31mred\u001b[0m',
  '\u007f\u0080\u009f',
  '\u2028\u2029',
  '\ud800',
  '\udfff\ud800',
  '\ufeffbom',
  '\u202eevil',
];
const oddStrings = [
  '',
  ' ',
  '%00',
  "' OR 1=1 --",
  '${jndi:ldap://x}',
  '{{lead.firstName}}',
  '👍🏽👨‍👩‍👧',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '\\',
  '"',
  'ÀÉÎõü',
];
const farDates = [
  '99999-01-01',
  '0000-01-01',
  '-1',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '+275760-09-14T00:00:00.000Z',
  '2026-02-30T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '9999-12-31T23:59:59.999Z',
  '10000-01-01T00:00:00Z',
  '2026-01-01T25:00:00Z',
  '2026-01-01T00:00:00+99:00',
  '0001-01-01T00:00:00Z',
  '4713-01-01T00:00:00Z',
  '294277-01-01T00:00:00Z',
];
const rawNumbers = [
  '1e400',
  '-1e400',
  '1e308',
  '-1e308',
  '9007199254740993',
  '2147483648',
  '-2147483649',
  '99999999999999999999999',
  '0.5',
  '-0.0001',
  '-1',
  '0',
  '1e-400',
  '-0',
  '1.0000000000000002',
  '9223372036854775808',
  '-9223372036854775809',
  '4.9e-324',
];
const wrongTypes: unknown[] = [null, true, false, 0, 'x', [], {}, [null], { $gt: '' }, [[[]]]];

/** Arrays or objects nested `depth` deep, as raw JSON text (JSON.stringify of thousands of levels overflows the stack). */
function nested(depth: number, kind: 'array' | 'object', table: string[]): string {
  const text =
    kind === 'array'
      ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return raw(text, table);
}

function depthsFor(ctx: FuzzContext): number[] {
  return [3, ctx.jsonMaxDepth - 2, ctx.jsonMaxDepth, ctx.jsonMaxDepth + 1, 200, 5000];
}

/** A broken value for a field: NUL, control chars, long strings, odd numbers, far dates, wrong types, deep nesting. */
function brokenValue(
  r: Random,
  ctx: FuzzContext,
  table: string[],
  schema: Schema | undefined,
): [unknown, string] {
  const isDate = schema?.format === 'date-time' || schema?.format === 'date';
  const isNumber = schema && ['integer', 'number'].some((t) => typesOf(schema).includes(t));
  const kinds = ['nul', 'control', 'long', 'odd', 'number', 'date', 'wrong', 'deep'];
  let kind = r.pick(kinds);
  if (isDate && r.chance(0.5)) kind = 'date';
  if (isNumber && r.chance(0.5)) kind = 'number';
  switch (kind) {
    case 'nul': {
      const value = r.pick(nulStrings);
      return [value, 'NUL string'];
    }
    case 'control':
      return [r.pick(controlStrings), 'control characters'];
    case 'long': {
      const length = r.pick([1001, 10_000, 300_000]);
      return [r.pick(['x', '9', 'é', '\u0000']).repeat(length), `string of ${length}`];
    }
    case 'odd': {
      const value = r.pick(oddStrings);
      return [value, `string ${JSON.stringify(value)}`];
    }
    case 'number': {
      const text = r.pick(rawNumbers);
      return [raw(text, table), `number ${text}`];
    }
    case 'date': {
      const value = r.chance(0.8) ? r.pick(farDates) : r.pick<unknown>([-1, 8.64e15 + 1, 1e20, 0]);
      return [value, `date ${JSON.stringify(value)}`];
    }
    case 'wrong': {
      const value = r.pick(wrongTypes);
      return [value, `wrong type ${JSON.stringify(value)}`];
    }
    default: {
      const depth = r.pick(depthsFor(ctx));
      const shape = r.pick(['array', 'object'] as const);
      return [nested(depth, shape, table), `${shape} nested ${depth} deep`];
    }
  }
}

interface FieldPath {
  path: (string | number)[];
  schema?: Schema;
}

/** Every field of a value, with the schema of each where known, including optional fields the value left out. */
function fieldsOf(
  value: unknown,
  schema: Schema | undefined,
  doc: Schema,
  path: (string | number)[] = [],
): FieldPath[] {
  const out: FieldPath[] = [];
  const s = schema ? resolve(schema, doc) : undefined;
  const objectSchema =
    s &&
    (s.properties
      ? s
      : (s.anyOf ?? s.oneOf ?? []).map((v: Schema) => resolve(v, doc)).find((v: Schema) => v.properties));
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push({ path: [...path, i], schema: s?.items });
      out.push(...fieldsOf(item, s?.items, doc, [...path, i]));
    });
  } else if (value && typeof value === 'object') {
    const props: Record<string, Schema> = objectSchema?.properties ?? {};
    const keys = new Set([...Object.keys(value), ...Object.keys(props)]);
    for (const key of keys) {
      out.push({ path: [...path, key], schema: props[key] });
      out.push(...fieldsOf((value as Record<string, unknown>)[key], props[key], doc, [...path, key]));
    }
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = [...root];
    copy[head as number] = setAt(copy[head as number], rest, value);
    return copy;
  }
  const base = root && typeof root === 'object' ? (root as Record<string, unknown>) : {};
  const copy = { ...base };
  copy[head as string] = setAt(base[head as string], rest, value);
  return copy;
}

function removeAt(root: unknown, path: (string | number)[]): unknown {
  if (path.length === 1 && root && typeof root === 'object' && !Array.isArray(root)) {
    const copy = { ...(root as Record<string, unknown>) };
    delete copy[path[0] as string];
    return copy;
  }
  if (path.length === 0 || !root || typeof root !== 'object') return root;
  const [head, ...rest] = path;
  if (Array.isArray(root)) return root.map((item, i) => (i === head ? removeAt(item, rest) : item));
  return {
    ...(root as Record<string, unknown>),
    [head as string]: removeAt((root as any)[head as string], rest),
  };
}

function getAt(root: unknown, path: (string | number)[]): unknown {
  return path.reduce<any>((node, key) => (node && typeof node === 'object' ? node[key] : undefined), root);
}

const unknownKeys = [
  'zzUnknownField',
  '__proto__',
  'constructor',
  'prototype',
  '',
  '\u0000',
  'x'.repeat(5000),
  'assignedStates',
  'leadSource',
  'tenantId',
  'id',
  'createdAt',
];

/** A JSON body broken in one field, or as a whole. Returns the encoded body, a content type and what was done. */
function brokenBody(
  base: unknown,
  schema: Schema | undefined,
  doc: Schema,
  r: Random,
  ctx: FuzzContext,
): { body?: string; contentType?: string; mutation: string } {
  const table: string[] = [];
  const json = (value: unknown, mutation: string) => ({
    body: encodeJson(value, table),
    contentType: 'application/json',
    mutation,
  });
  const roll = r.float();
  if (roll < 0.62) {
    const fields = fieldsOf(base, schema, doc);
    if (fields.length === 0)
      return json(
        withOwnKey((base as Record<string, unknown>) ?? {}, r.pick(unknownKeys), 'x'),
        'unknown top-level field',
      );
    const field = r.pick(fields);
    const [value, what] = brokenValue(r, ctx, table, field.schema && resolve(field.schema, doc));
    return json(setAt(base, field.path, value), `body.${field.path.join('.')} = ${what}`);
  }
  if (roll < 0.72) {
    const objects = [[] as (string | number)[], ...fieldsOf(base, schema, doc).map((f) => f.path)].filter(
      (p) => {
        const v = p.length ? getAt(base, p) : base;
        return v && typeof v === 'object' && !Array.isArray(v);
      },
    );
    const at = r.pick(objects);
    const key = r.pick(unknownKeys);
    const value = r.pick<unknown>(['x', 1, { polluted: true }, null, [1]]);
    const target = (at.length ? getAt(base, at) : base) as Record<string, unknown>;
    const changed = withOwnKey(target, key, value);
    return json(
      at.length ? setAt(base, at, changed) : changed,
      `unknown field ${JSON.stringify(key.slice(0, 20))} at body.${at.join('.')}`,
    );
  }
  if (roll < 0.78) {
    const fields = fieldsOf(base, schema, doc).filter((f) => getAt(base, f.path) !== undefined);
    if (fields.length) {
      const field = r.pick(fields);
      return json(removeAt(base, field.path), `body.${field.path.join('.')} removed`);
    }
  }
  const whole = r.int(0, 15);
  switch (whole) {
    case 0:
      return { body: '', contentType: 'application/json', mutation: 'empty body (application/json)' };
    case 1:
      return { mutation: 'no body' };
    case 2:
      return { body: 'null', contentType: 'application/json', mutation: 'null body' };
    case 3:
      return json(r.pick<unknown>([[], 'x', 123, true, [base]]), 'body not an object');
    case 4:
      return {
        body: r.pick(['{', '{"a":', '{"a":1,}', "{'a':1}", '\u0000', '{"a":1}{"b":2}']),
        contentType: 'application/json',
        mutation: 'invalid JSON',
      };
    case 5:
      return {
        body: '\ufeff' + encodeJson(base, table),
        contentType: 'application/json',
        mutation: 'BOM before JSON',
      };
    case 6:
      return {
        body: encodeJson(base, table),
        contentType: r.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'multipart/form-data',
        ]),
        mutation: 'JSON with another content type',
      };
    case 7:
      return {
        body: encodeJson(base, table),
        contentType: r.pick([
          'application/json; charset=utf-16',
          'application/json; charset=latin1',
          'application/json; charset=""',
        ]),
        mutation: 'JSON with an odd charset',
      };
    case 8: {
      const depth = r.pick(depthsFor(ctx));
      return json(
        nested(depth, r.pick(['array', 'object'] as const), table),
        `whole body nested ${depth} deep`,
      );
    }
    case 9:
      return json({}, 'empty object body');
    case 10: {
      const text = encodeJson(base, table);
      return {
        body: text.replace(/^\{/, '{"dup":1,"dup":2,').replace(/^\{"dup":1,"dup":2,\}$/, '{"dup":1,"dup":2}'),
        contentType: 'application/json',
        mutation: 'duplicate keys',
      };
    }
    case 11:
      return json({ ...(base as object), padding: 'x'.repeat(1_100_000) }, 'body over the 1mb limit');
    case 12:
      return {
        body: encodeJson(base, table).replace(/:/g, ' : '),
        contentType: 'application/json',
        mutation: 'valid body with spaces',
      };
    default: {
      const keys = ['__proto__', 'constructor'];
      return json(
        withOwnKey((base as Record<string, unknown>) ?? {}, r.pick(keys), {
          prototype: { polluted: true },
          polluted: true,
        }),
        'prototype keys at the top',
      );
    }
  }
}

// ---------- query and path ----------

const junkQueryValues = [
  '%00',
  'a%00b',
  '%01%1F',
  'x'.repeat(5000),
  '1e400',
  '99999999999999999999',
  '-1',
  '0.5',
  'NaN',
  'Infinity',
  '',
  '%',
  '%zz',
  '%C0%80',
  '%FF%FE',
  '99999-01-01',
  '0000-01-01',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '2026-02-30',
  'true',
  'null',
  '%E2%80%AE',
  '..%2F..%2F',
];

function queryString(
  params: Schema[],
  doc: Schema,
  r: Random,
  ctx: FuzzContext,
  breakOne: boolean,
): { query: string; mutation?: string } {
  const parts: string[] = [];
  let mutation: string | undefined;
  const victim = breakOne && params.length ? r.int(0, params.length) : -1; // params.length → an unknown parameter
  params.forEach((param, i) => {
    const name = encodeURIComponent(param.name);
    if (i === victim) {
      const how = r.int(0, 3);
      if (how === 0) {
        const schema = resolve(param.schema, doc);
        const isDate =
          /date/.test(schema.format ?? '') ||
          /(From|To|At|Before|After|^from|^to|^before|^after)$/.test(param.name);
        const isNumber = typesOf(schema).some((type) => type === 'integer' || type === 'number');
        const value =
          isDate && r.chance(0.7)
            ? encodeURIComponent(r.pick(farDates))
            : isNumber && r.chance(0.7)
              ? encodeURIComponent(r.pick(rawNumbers))
              : r.pick(junkQueryValues);
        parts.push(`${name}=${value}`);
        mutation = `query ${param.name}=${value.slice(0, 40)}`;
      } else if (how === 1) {
        parts.push(`${name}=1&${name}=2`);
        mutation = `query ${param.name} repeated`;
      } else if (how === 2) {
        parts.push(`${name}[a]=1&${name}[]=2`);
        mutation = `query ${param.name} as brackets`;
      } else {
        const value = validValue(param.schema ?? {}, doc, r, ctx, param.name);
        parts.push(`${name}=${encodeURIComponent(String(JSON.stringify(value)))}`);
        mutation = `query ${param.name} JSON-encoded`;
      }
      return;
    }
    if (!param.required && !r.chance(0.4)) return;
    const value = validValue(param.schema ?? {}, doc, r, ctx, param.name);
    if (value === undefined || (typeof value === 'object' && value !== null)) return;
    parts.push(`${name}=${encodeURIComponent(String(value))}`);
  });
  if (victim === params.length && breakOne) {
    const extra = r.pick([
      'zzUnknown=1',
      '__proto__[polluted]=1',
      'constructor[prototype][polluted]=1',
      'search=9600000012',
      '%00=1',
      'a%00b=c',
    ]);
    parts.push(extra);
    mutation = `unknown query ${extra}`;
  }
  return { query: parts.length ? `?${parts.join('&')}` : '', mutation };
}

const junkPathValues = [
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '%00',
  'a%00b',
  '%FF',
  '%C0%80',
  'x'.repeat(2000),
  '..',
  '%2e%2e',
  '%2F',
  '-1',
  '0',
  '99999999999999999999',
  'LD-999999999999999',
  'LD-0',
  'null',
  'undefined',
  '%20',
  '{}',
  '%7B%22a%22%3A1%7D',
  'DROP%20TABLE',
];

function realPathValue(
  template: string,
  name: string,
  doc: Schema,
  param: Schema | undefined,
  r: Random,
  ctx: FuzzContext,
): string {
  if (name === 'code') return r.pick(ctx.tenantCodes);
  if (name === 'keyId') return r.pick(ctx.keyIds.length ? ctx.keyIds : [r.uuid()]);
  if (name === 'clientCode') return ctx.clientCode;
  const before = template.split(`{${name}}`)[0]!.split('/').filter(Boolean).pop() ?? '';
  const ids = ctx.ids[before];
  if (ids?.length) return r.pick(ids);
  return encodeURIComponent(String(validValue(param?.schema ?? {}, doc, r, ctx, name)));
}

/** A secret of each kind as its route takes it (the schema says only "an object"). */
const secretSamples: Record<string, Record<string, unknown>> = {
  smtp: {
    host: '127.0.0.1',
    port: 2525,
    secure: false,
    user: 'mailer',
    password: 'secret',
    fromAddress: 'sales@example.com',
  },
  whatsapp: {
    wabaId: 'WABA-FUZZ',
    phoneNumberIds: ['555000222'],
    accessToken: 'token',
    verifyToken: 'verify',
    appSecret: 'app-secret',
  },
  database: { url: 'postgres://fuzz@127.0.0.1:1/nothing' },
  google: { clientId: 'id', clientSecret: 'secret', refreshToken: 'refresh' },
  storage: { bucket: 'fuzz', region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'b' },
};

// ---------- operations ----------

export interface Operation {
  method: string;
  path: string;
  op: Schema;
}

export function operationsOf(doc: Schema): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries<Schema>(doc.paths)) {
    for (const [method, op] of Object.entries<Schema>(ops))
      out.push({ method: method.toUpperCase(), path, op });
  }
  return out;
}

function authOf(op: Schema): FuzzRequest['auth'] {
  const names = (op.security ?? []).flatMap((s: Schema) => Object.keys(s));
  if (names.includes('platformAdmin')) return 'platform';
  if (names.includes('apiKey')) return 'tenant';
  return 'none';
}

/** How many requests an operation gets relative to the others: more for more inputs. */
export function weightOf(operation: Operation, doc: Schema): number {
  const body = operation.op.requestBody?.content?.['application/json']?.schema;
  const props = body ? Object.keys(resolve(body, doc).properties ?? {}).length : 0;
  const params = (operation.op.parameters ?? []).length;
  return 2 + props + params;
}

/** `count` requests for one operation: the first unbroken, each other broken in one place. */
export function requestsFor(
  operation: Operation,
  doc: Schema,
  ctx: FuzzContext,
  seed: number,
  count: number,
): FuzzRequest[] {
  const r = new Random(seed ^ hash32(`${operation.method} ${operation.path}`));
  const params: Schema[] = (operation.op.parameters ?? []).map((p: Schema) => resolve(p, doc));
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const bodySchema = operation.op.requestBody?.content?.['application/json']?.schema;
  const out: FuzzRequest[] = [];
  for (let i = 0; i < count; i++) {
    let baseBody = bodySchema ? validValue(bodySchema, doc, r, ctx) : undefined;
    const choices = ['header'];
    if (bodySchema || ['POST', 'PUT', 'PATCH'].includes(operation.method))
      choices.push('body', 'body', 'body', 'body', 'body', 'body');
    if (queryParams.length) choices.push('query', 'query', 'query');
    if (pathParams.length) choices.push('path', 'path');
    const what = i === 0 ? 'none' : r.pick(choices);

    let url = operation.path;
    let mutation = i === 0 ? 'unbroken' : '';
    for (const param of pathParams) {
      const placeholder = operation.path.includes(`{${param.name}}`) ? `{${param.name}}` : `*${param.name}`;
      let value = realPathValue(operation.path, param.name, doc, param, r, ctx);
      if (what === 'path' && (pathParams.length === 1 || r.chance(0.6))) {
        value = r.chance(0.15) ? r.uuid() : r.pick(junkPathValues);
        mutation ||= `path ${param.name}=${value.slice(0, 40)}`;
      }
      url = url.replace(placeholder, value);
      if (param.name === 'kind' && secretSamples[value] && i % 4 !== 3) baseBody = secretSamples[value];
    }
    if (what === 'path' && !mutation) mutation = 'path (real values)';
    const { query, mutation: queryMutation } = queryString(queryParams, doc, r, ctx, what === 'query');
    url += query;
    if (queryMutation) mutation = queryMutation;

    const headers: Record<string, string> = {};
    let body: string | Buffer | undefined;
    if (what === 'body') {
      const broken = brokenBody(baseBody ?? {}, bodySchema, doc, r, ctx);
      body = broken.body;
      if (broken.contentType) headers['content-type'] = broken.contentType;
      mutation = broken.mutation;
    } else if (baseBody !== undefined) {
      body = JSON.stringify(baseBody);
      headers['content-type'] = 'application/json';
    }
    if (what === 'header') {
      const header = r.int(0, 4);
      if (header === 0) {
        headers['content-encoding'] = r.pick(['gzip', 'deflate', 'br', 'zstd', 'identity, gzip']);
        body ??= '{}';
        headers['content-type'] ??= 'application/json';
        mutation = `content-encoding ${headers['content-encoding']} on plain bytes`;
      } else if (header === 1) {
        headers['x-request-id'] = r.pick(['x'.repeat(5000), '\u00e9\u00e8', '../..']);
        mutation = 'odd x-request-id';
      } else if (header === 2) {
        headers['content-type'] = r.pick([
          'application/json; charset=utf-7',
          'application/json;;;',
          '*/*',
          'application/json, text/plain',
        ]);
        body ??= '{}';
        mutation = `content-type ${headers['content-type']}`;
      } else if (header === 3) {
        headers.accept = r.pick(['text/html', 'application/xml', '*/*;q=0']);
        mutation = `accept ${headers.accept}`;
      } else {
        headers['x-forwarded-for'] = r.pick(['junk', '::1, 999.999.999.999', '1.2.3.4'.repeat(500)]);
        mutation = 'odd x-forwarded-for';
      }
    }
    out.push({
      method: operation.method,
      operation: `${operation.method} ${operation.path}`,
      url,
      headers,
      body,
      mutation,
      auth: authOf(operation.op),
    });
  }
  return out;
}

// ---------- uploads ----------

const validCsv =
  'phone,name,email,city\n+14155550111,Csv One,one@example.com,Austin\n+14155550112,Csv Two,,Boston\n';

function multipart(
  boundary: string,
  parts: { name: string; filename?: string; type?: string; content: string | Buffer }[],
  close = true,
): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.type ? `Content-Type: ${part.type}\r\n` : ''}\r\n`,
      ),
    );
    chunks.push(Buffer.isBuffer(part.content) ? part.content : Buffer.from(part.content));
    chunks.push(Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** Uploads to the CSV import: valid, empty, junk bytes, odd CSV, truncated and malformed multipart. */
export function importRequests(path: string, seed: number, count: number): FuzzRequest[] {
  const r = new Random(seed ^ hash32(`upload ${path}`));
  const out: FuzzRequest[] = [];
  const junkBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => r.int(0, 255)));
  for (let i = 0; i < count; i++) {
    const mode = i === 0 ? 'sync' : r.pick(['sync', 'sync', 'sync', 'auto', 'background', 'junk']);
    const query = new URLSearchParams();
    if (mode !== 'junk') query.set('mode', mode);
    else query.set('mode', r.pick(['later', '', '\u0000']));
    if (r.chance(0.2)) query.set('assign', r.pick(['true', 'false', 'yes', '1e400']));
    if (r.chance(0.15))
      query.set(
        'mapping',
        r.pick([
          '{"phone":"mobile"}',
          '{',
          'null',
          '[]',
          '{"phone":"\u0000"}',
          '{"__proto__":{"x":1}}',
          '{"zz":"phone"}',
        ]),
      );
    const csvKinds: [string, string | Buffer][] = [
      ['valid CSV', validCsv],
      ['empty file', ''],
      ['header only', 'phone,name\n'],
      ['no phone column', 'name,email\nA,a@example.com\n'],
      ['NUL in CSV', 'phone,name\n+14155550113,Nu\u0000l\n'],
      ['control chars in CSV', 'phone,name\n+14155550114,\u0001\u001b[31m\n'],
      ['BOM CSV', '\ufeff' + validCsv],
      ['unterminated quote', 'phone,name\n+14155550115,"open\n'],
      ['binary junk', junkBytes(r.int(1, 4000))],
      ['huge field', `phone,name\n+14155550116,${'x'.repeat(200_000)}\n`],
      [
        'many columns',
        `${Array.from({ length: 3000 }, (_, c) => `c${c}`).join(',')},phone\n${'1,'.repeat(3000)}+14155550117\n`,
      ],
      [
        'odd values',
        `phone,name,email,followUpAt,score,tags\n99999999999999999999,${'\u202e'},not-an-email,99999-01-01,1e400,"a,b"\n-1,,,0000-01-01,-1,\n`,
      ],
      ['CR only lines', 'phone,name\r+14155550118,Cr\r'],
      ['duplicate headers', 'phone,phone,name,name\n+14155550119,+14155550120,A,B\n'],
      ['latin1 bytes', Buffer.from([0x70, 0x68, 0x6f, 0x6e, 0x65, 0x0a, 0xe9, 0xff, 0x0a])],
    ];
    const [csvWhat, csv] = i === 0 ? csvKinds[0]! : r.pick(csvKinds);
    const headers: Record<string, string> = {};
    let body: Buffer | string;
    let mutation: string;
    const shape = i === 0 ? 0 : r.int(0, 9);
    const boundary = `fuzz${r.hex(12)}`;
    if (shape <= 3) {
      headers['content-type'] = r.pick(['text/csv', 'text/csv; charset=utf-8', 'text/csv; charset=latin1']);
      body = csv;
      mutation = `text/csv: ${csvWhat}`;
    } else if (shape <= 5) {
      headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
      body = multipart(boundary, [
        {
          name: 'file',
          filename: r.pick(['leads.csv', '', '../x.csv', '\u0000.csv']),
          type: 'text/csv',
          content: csv,
        },
      ]);
      mutation = `multipart: ${csvWhat}`;
    } else if (shape === 6) {
      headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
      const full = multipart(boundary, [
        { name: 'file', filename: 'leads.csv', type: 'text/csv', content: csv },
      ]);
      const cut = r.int(1, Math.max(1, full.length - 1));
      body = full.subarray(0, cut);
      mutation = `truncated multipart at ${cut}/${full.length}: ${csvWhat}`;
    } else if (shape === 7) {
      const variant = r.int(0, 6);
      const okBody = multipart(boundary, [{ name: 'file', filename: 'leads.csv', content: csv }]);
      const cases: [string, string, Buffer][] = [
        ['multipart without boundary', 'multipart/form-data', okBody],
        ['multipart with another boundary', `multipart/form-data; boundary=other${boundary}`, okBody],
        [
          'multipart without a file part',
          `multipart/form-data; boundary=${boundary}`,
          multipart(boundary, [{ name: 'note', content: 'x' }]),
        ],
        [
          'multipart with two files',
          `multipart/form-data; boundary=${boundary}`,
          multipart(boundary, [
            { name: 'file', filename: 'a.csv', content: csv },
            { name: 'file', filename: 'b.csv', content: csv },
          ]),
        ],
        [
          'multipart with no closing boundary',
          `multipart/form-data; boundary=${boundary}`,
          multipart(boundary, [{ name: 'file', filename: 'a.csv', content: csv }], false),
        ],
        ['multipart of junk bytes', `multipart/form-data; boundary=${boundary}`, junkBytes(r.int(0, 3000))],
        ['empty multipart', `multipart/form-data; boundary=${boundary}`, Buffer.alloc(0)],
      ];
      const [what, type, bytes] = cases[variant]!;
      headers['content-type'] = type;
      body = bytes;
      mutation = what;
    } else if (shape === 8) {
      headers['content-type'] = r.pick([
        'application/json',
        'application/octet-stream',
        'text/plain',
        'multipart/mixed; boundary=x',
      ]);
      body = r.chance(0.5) ? csv : '{"phone":"+14155550100"}';
      mutation = `content type ${headers['content-type']}`;
    } else {
      body = csv;
      headers['content-type'] = 'text/csv';
      headers['content-encoding'] = r.pick(['gzip', 'br']);
      mutation = `text/csv with content-encoding ${headers['content-encoding']} on plain bytes`;
    }
    out.push({
      method: 'POST',
      operation: `POST ${path}`,
      url: `${path}?${query.toString()}`,
      headers,
      body,
      mutation,
      auth: 'tenant',
    });
  }
  return out;
}

/** The phone number id the fuzz test gives its tenant, so signed deliveries reach a tenant's intake. */
export const fuzzPhoneNumberId = '555000111';

/** A WhatsApp Cloud API delivery, for the signed webhook fuzz. */
export function whatsappDelivery(r: Random): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: String(r.int(1000, 99999)),
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: '15550001111',
                phone_number_id: r.chance(0.6) ? fuzzPhoneNumberId : String(r.int(100000, 999999)),
              },
              contacts: [{ profile: { name: 'Fuzz' }, wa_id: '14155550123' }],
              messages: [
                {
                  from: '14155550123',
                  id: `wamid.${r.hex(16)}`,
                  timestamp: String(1_760_000_000 + r.int(0, 1000)),
                  type: 'text',
                  text: { body: 'hello' },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

/** Signed and unsigned webhook deliveries: the delivery broken in one field or as a whole. */
export function webhookRequests(
  path: string,
  doc: Schema,
  ctx: FuzzContext,
  sign: (body: Buffer) => string,
  seed: number,
  count: number,
): FuzzRequest[] {
  const r = new Random(seed ^ hash32(`webhook ${path}`));
  const out: FuzzRequest[] = [];
  for (let i = 0; i < count; i++) {
    const base = whatsappDelivery(r);
    const broken =
      i === 0
        ? { body: JSON.stringify(base), contentType: 'application/json', mutation: 'unbroken' }
        : brokenBody(base, undefined, doc, r, ctx);
    const body = Buffer.from(broken.body ?? '');
    const headers: Record<string, string> = {};
    if (broken.contentType) headers['content-type'] = broken.contentType;
    const signing = i === 0 ? 0 : r.int(0, 9);
    if (signing <= 6) headers['x-hub-signature-256'] = sign(body);
    else if (signing === 7)
      headers['x-hub-signature-256'] = r.pick([
        'sha256=',
        'sha256=zz',
        'md5=abc',
        '\u00e9',
        'sha256=' + 'a'.repeat(64),
      ]);
    const url = path.replace(
      '{clientCode}',
      r.chance(0.7) ? ctx.clientCode : r.pick(['nobody_here', 'X', 'a'.repeat(300), '%00', '%FF']),
    );
    out.push({
      method: 'POST',
      operation: `POST ${path}`,
      url,
      headers,
      body,
      mutation: `${broken.mutation}${signing <= 6 ? ' (signed)' : signing === 7 ? ' (bad signature)' : ' (unsigned)'}`,
      auth: 'none',
    });
  }
  return out;
}
