import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLiveDefinitions, type SchemaKind } from './migrate.js';

const kinds: SchemaKind[] = ['platform', 'tenant'];

/**
 * Numbers skipped under the old per-component ranges. Migrations landed after them, and a
 * landed migration keeps its number (databases record it), so these gaps stay; no new one may open.
 */
const landedGaps: Record<SchemaKind, [number, number][]> = {
  platform: [[5, 10]],
  tenant: [
    [9, 20],
    [24, 30],
    [35, 39],
  ],
};

describe.each(kinds)('%s migrations', (kind) => {
  const files = readdirSync(join(import.meta.dirname, 'migrations', kind));

  it('are all named NNNNNN_name.sql (the runner ignores any other file)', () => {
    expect(files.filter((file) => !/^\d{6}_[a-z0-9_]+\.sql$/.test(file))).toEqual([]);
  });

  it('take the next free number: unique, from 000001, with no gap but those already landed', () => {
    const numbers = files.map((file) => Number(file.slice(0, 6))).sort((a, b) => a - b);
    expect(numbers[0]).toBe(1);
    const duplicates = files.filter(
      (file, i) => files.findIndex((other) => other.slice(0, 6) === file.slice(0, 6)) !== i,
    );
    expect(duplicates).toEqual([]);
    const gaps = numbers.slice(1).flatMap((n, i) => (n === numbers[i]! + 1 ? [] : [[numbers[i]!, n]]));
    expect(gaps).toEqual(landedGaps[kind]);
  });
});

describe.each(kinds)('%s live definitions', (kind) => {
  it('define one function each, named as their file, re-runnably', () => {
    const definitions = loadLiveDefinitions(kind);
    expect(definitions.length).toBeGreaterThan(0);
    for (const { name, sql } of definitions) {
      const defined = [...sql.matchAll(/^create or replace function (\w+)\(/gm)].map((match) => match[1]);
      expect({ name, defined }).toEqual({ name, defined: [name] });
      expect(sql, name).not.toMatch(/^create function/m);
    }
  });
});
