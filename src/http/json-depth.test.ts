import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan } from './json-depth.js';

const deeper = (text: string, max: number) => jsonNestsDeeperThan(Buffer.from(text), max);

describe('JSON nesting depth', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(deeper('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(deeper('{"a":[{"b":[[]]}]}', 4)).toBe(true);
    expect(deeper(`{"note":"${'[{'.repeat(100)}"}`, 1)).toBe(false);
    expect(deeper(`["\\"${'['.repeat(10)}"]`, 1)).toBe(false);
    expect(deeper(`["\\\\",[[]]]`, 2)).toBe(true);
    expect(deeper(`{"é€":"😀[[["}`, 1)).toBe(false);
  });

  it('counts depth, not the number of containers', () => {
    expect(deeper(JSON.stringify(Array.from({ length: 10_000 }, () => ({ a: [1] }))), 3)).toBe(false);
  });
});
