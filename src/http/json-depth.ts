const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether JSON text nests objects and arrays deeper than `maxDepth`, counted on the raw bytes
 * (brackets outside strings) before `JSON.parse`: a body nested thousands deep parses fine but
 * overflows the stack of any recursive walk over it later (validation, cloning, logging).
 * UTF-8 continuation bytes never equal an ASCII bracket or quote, so a byte scan is exact.
 */
export function jsonNestsDeeperThan(text: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth--;
  }
  return false;
}

/** A body-parser `verify` hook refusing JSON nested deeper than `maxDepth` (mapped to 400 `invalid_json`). */
export function refuseDeepJson(maxDepth: number): (req: unknown, res: unknown, body: Buffer) => void {
  return (_req, _res, body) => {
    if (jsonNestsDeeperThan(body, maxDepth))
      throw Object.assign(new Error(`The request body nests deeper than ${maxDepth} levels`), {
        type: 'entity.too.deep',
      });
  };
}
