import { percentile } from './seeding.js';

/** A GET's time and JSON body; a non-2xx answer stops the bench. */
export interface TimedAnswer {
  ms: number;
  body: any;
}

/** Times GETs against `baseUrl` with `headers` (an API key's). */
export function timedGet(baseUrl: string, headers: Record<string, string>) {
  return async (path: string): Promise<TimedAnswer> => {
    const started = performance.now();
    const response = await fetch(baseUrl + path, { headers });
    const body = (await response.json()) as any;
    if (!response.ok) throw new Error(`${path}: ${JSON.stringify(body)}`);
    return { ms: performance.now() - started, body };
  };
}

/**
 * Sequential latency of each request shape (5 warm-up calls each, then `samples`), as markdown
 * rows: the average of `countOf(body)` (empty for the anchor, the row named `GET / …`), p50, p95,
 * p95 as a ratio of the anchor's p95 (the anchor comes first), p99.
 */
export async function latencyRows(
  shapes: Record<string, () => string>,
  time: (path: string) => Promise<TimedAnswer>,
  samples: number,
  countOf: (body: any) => number,
): Promise<string[]> {
  for (const shape of Object.values(shapes)) for (let i = 0; i < 5; i++) await time(shape());
  const rows: string[] = [];
  let anchorP95 = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const timings: number[] = [];
    let counted = 0;
    for (let i = 0; i < samples; i++) {
      const { ms, body } = await time(shape());
      timings.push(ms);
      counted += countOf(body);
    }
    timings.sort((x, y) => x - y);
    console.error(`measured ${name}`);
    const anchor = name.startsWith('GET /');
    const p95 = percentile(timings, 95);
    if (anchor) anchorP95 = p95;
    const average = anchor ? '' : Math.round(counted / samples).toLocaleString('en');
    rows.push(
      `| ${name} | ${average} | ${percentile(timings, 50).toFixed(1)} ms | ${p95.toFixed(1)} ms | ${(p95 / anchorP95).toFixed(1)}× | ${percentile(timings, 99).toFixed(1)} ms |`,
    );
  }
  return rows;
}

/** Prints `rows` (from `latencyRows`) as the markdown table BENCHMARKS.md keeps; `countHeader` names their count column. */
export function printLatencyTable(countHeader: string, rows: readonly string[]): void {
  console.log(`| Request | ${countHeader} | p50 | p95 | p95 / anchor p95 | p99 |`);
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}
