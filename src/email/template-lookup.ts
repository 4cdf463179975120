/** What a placeholder path reads when it names nothing. */
export const absent: unique symbol = Symbol('absent');

/**
 * The value a template placeholder reads at `path` below `root`, or `absent`. Only own data
 * properties count: `{{variables.toString}}`, `{{constructor}}` or `{{__proto__}}` must not reach
 * the built-in members every object inherits, and a function is never a template value.
 */
export function ownValueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return absent;
    const property = Object.getOwnPropertyDescriptor(value, part);
    if (!property || !('value' in property)) return absent;
    value = property.value;
  }
  return typeof value === 'function' ? absent : value;
}
