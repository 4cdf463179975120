import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';

/**
 * Personal data in responses (ARCHITECTURE.md "Personal data"). A response schema marks its phone
 * numbers and email addresses with `piiPhone()` / `piiEmail()` (zod meta `x-pii`, also listed in
 * the OpenAPI document); `ApiRouter` finds the marked fields once per route (`piiPaths`) and
 * masks them (`maskPii`) in the answer to every caller whose role lacks `pii.read`. Realtime
 * emission masks its payloads with the same functions.
 */
export type PiiKind = 'phone' | 'email';

const piiKey = 'x-pii';
const piiDescription: Record<PiiKind, string> = {
  phone: 'Masked (`+91••••••3210`) for a caller without `pii.read`',
  email: 'Masked (`j•••@e•••.com`) for a caller without `pii.read`',
};

/** A phone number in a response: masked for callers without `pii.read`. */
export const piiPhone = () => z.string().meta({ [piiKey]: 'phone', description: piiDescription.phone });

/** An email address in a response: masked for callers without `pii.read`. */
export const piiEmail = () => z.string().meta({ [piiKey]: 'email', description: piiDescription.email });

/** A path to a PII field: object keys, `*` for every element of an array or value of a record. */
export interface PiiPath {
  kind: PiiKind;
  path: readonly string[];
}

const dot = '•';

/**
 * `+919876543210` → `+91••••••3210`: the `+` and country calling code, every other digit but the
 * last four masked (at least four digits are always masked, so a short number shows fewer). A
 * number that does not parse keeps its leading `+` and, likewise, its last digits.
 */
export function maskPhone(phone: string): string {
  // A WhatsApp id is the number without its `+` (`919876543210` → `91••••••3210`).
  const plus = phone.startsWith('+');
  const parsed =
    plus || /^\d{8,15}$/.test(phone) ? parsePhoneNumberFromString(plus ? phone : `+${phone}`) : undefined;
  if (parsed) {
    const national = parsed.nationalNumber;
    const keep = Math.min(4, Math.max(0, national.length - 4));
    return `${plus ? '+' : ''}${parsed.countryCallingCode}${dot.repeat(national.length - keep)}${national.slice(national.length - keep)}`;
  }
  const digits = phone.replace(/\D/g, '');
  const keep = Math.min(4, Math.max(0, digits.length - 4));
  return `${phone.startsWith('+') ? '+' : ''}${dot.repeat(digits.length - keep)}${digits.slice(digits.length - keep)}`;
}

/**
 * `jane.doe@example.co.uk` → `j•••@e•••.uk`: the first character of the local part and of the
 * domain, and the top-level domain; the lengths are not kept.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return `${email.slice(0, 1)}${dot.repeat(3)}`;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const tld = domain.lastIndexOf('.') > 0 ? domain.slice(domain.lastIndexOf('.')) : '';
  return `${local.slice(0, 1)}${dot.repeat(3)}@${domain.slice(0, 1)}${dot.repeat(3)}${tld}`;
}

const maskers: Record<PiiKind, (value: string) => string> = { phone: maskPhone, email: maskEmail };

interface ZodInternals {
  _zod: { def: Record<string, unknown> & { type: string } };
}

/** The PII fields `schema` describes, found once (when a route registers). */
export function piiPaths(schema: z.ZodType | undefined): PiiPath[] {
  const found = new Map<string, PiiPath>();
  const walk = (node: z.ZodType, path: string[], seen: Set<z.ZodType>) => {
    if (seen.has(node)) return;
    const inner = new Set(seen).add(node);
    const kind = (z.globalRegistry.get(node) as Record<string, unknown> | undefined)?.[piiKey];
    if (kind === 'phone' || kind === 'email') {
      found.set(`${kind}:${path.join('.')}`, { kind, path: [...path] });
    }
    const def = (node as unknown as ZodInternals)._zod.def;
    switch (def.type) {
      case 'object':
        for (const [key, child] of Object.entries(def.shape as Record<string, z.ZodType>))
          walk(child, [...path, key], inner);
        break;
      case 'array':
        walk(def.element as z.ZodType, [...path, '*'], inner);
        break;
      case 'record':
        walk(def.valueType as z.ZodType, [...path, '*'], inner);
        break;
      case 'union':
        for (const option of def.options as z.ZodType[]) walk(option, path, inner);
        break;
      case 'intersection':
        walk(def.left as z.ZodType, path, inner);
        walk(def.right as z.ZodType, path, inner);
        break;
      case 'pipe':
        walk(def.in as z.ZodType, path, inner);
        walk(def.out as z.ZodType, path, inner);
        break;
      case 'lazy':
        walk((def.getter as () => z.ZodType)(), path, inner);
        break;
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'catch':
      case 'readonly':
      case 'nonoptional':
        walk(def.innerType as z.ZodType, path, inner);
        break;
      default:
        break;
    }
  };
  if (schema) walk(schema, [], new Set());
  return [...found.values()];
}

/**
 * A copy of `value` with the strings at `paths` masked; what is not on a path is shared, not
 * copied, and `value` itself is left as it was.
 */
export function maskPii<T>(value: T, paths: readonly PiiPath[]): T {
  let result: unknown = value;
  for (const { kind, path } of paths) result = maskAt(result, path, 0, maskers[kind]);
  return result as T;
}

function maskAt(
  value: unknown,
  path: readonly string[],
  at: number,
  mask: (text: string) => string,
): unknown {
  if (at === path.length) return typeof value === 'string' ? mask(value) : value;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const key = path[at]!;
  if (Array.isArray(value)) {
    if (key !== '*') return value;
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const masked = maskAt(item, path, at + 1, mask);
      if (masked !== item) (copy ??= [...value])[index] = masked;
    });
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  const keys = key === '*' ? Object.keys(record) : Object.hasOwn(record, key) ? [key] : [];
  let copy: Record<string, unknown> | undefined;
  for (const name of keys) {
    const masked = maskAt(record[name], path, at + 1, mask);
    if (masked !== record[name]) (copy ??= { ...record })[name] = masked;
  }
  return copy ?? value;
}
