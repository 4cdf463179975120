import type { BenchServer } from '../bench-server.js';

/** A random element. */
export const pick = <T>(values: T[]) => values[Math.floor(Math.random() * values.length)]!;

/** A SQL array literal of text values, for seeding statements (`hashint4` picks from it). */
export const sqlTextArray = (values: string[]) =>
  `(array[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(',')}])`;

/** The value below which `p` percent of the sorted samples fall (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Creates `count` agents through the API (`Agent 0` …) and answers their ids. */
export async function createAgents(
  server: BenchServer,
  tenant: { headers: Record<string, string> },
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${server.baseUrl}/api/crm/agents`, {
      method: 'POST',
      headers: tenant.headers,
      body: JSON.stringify({ name: `Agent ${i}` }),
    });
    ids.push(((await response.json()) as { data: { id: string } }).data.id);
  }
  return ids;
}
