const withoutNul = (text: string) => text.replaceAll('\u0000', '\uFFFD');

/**
 * jsonb cannot store U+0000, but a customer's text may hold one and Meta keeps redelivering a
 * refused webhook: NULs become U+FFFD, the replacement character, rather than vanishing, so
 * the reader sees that a character was there and distinct ids stay distinct.
 */
export function replaceNulCharacters(json: unknown): unknown {
  if (typeof json === 'string') return withoutNul(json);
  if (Array.isArray(json)) return json.map(replaceNulCharacters);
  if (json !== null && typeof json === 'object') {
    return Object.fromEntries(
      Object.entries(json).map(([key, value]) => [withoutNul(key), replaceNulCharacters(value)]),
    );
  }
  return json;
}

/** In JSON text a NUL can only be written as this escape, so a body without it needs no walk. */
export function mayContainNul(rawJson: Buffer): boolean {
  return rawJson.includes('\\u0000');
}
