import type { Result } from 'autocannon';
import { cpus } from 'node:os';

/**
 * Prints an autocannon benchmark as a markdown table with each row's share of the anchor
 * (the first row), then the invariants checked afterwards; a broken invariant fails the run.
 */
export function printLoadReport(options: {
  connections: number;
  durationSeconds: number;
  rows: [name: string, result: Result][];
  invariants: Record<string, boolean>;
}): void {
  const [anchor] = options.rows;
  if (!anchor) throw new Error('a report needs at least its anchor row');
  const line = (name: string, result: Result) =>
    `| ${name} | ${Math.round(result.requests.average).toLocaleString('en')} | ${result.latency.p50} ms | ${result.latency.p99} ms | ${result['2xx']} | ${result.non2xx + result.errors} |`;
  const share = (result: Result) =>
    `${((result.requests.average / anchor[1].requests.average) * 100).toFixed(1)} %`;

  console.log(
    `\nMachine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.versions.node}, Postgres server`,
  );
  console.log(
    `${options.connections} connections, ${options.durationSeconds} s per row, server in its own process (DB_POOL_MAX 16)\n`,
  );
  console.log('| Request | req/s | p50 | p99 | 2xx | errors/non-2xx |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, result] of options.rows) console.log(line(name, result));
  console.log(
    `\nShare of the anchor: ${options.rows
      .slice(1)
      .map(([name, result]) => `${name}: ${share(result)}`)
      .join('; ')}`,
  );
  for (const [name, ok] of Object.entries(options.invariants)) console.log(`${ok ? 'OK  ' : 'FAIL'} ${name}`);
  if (Object.values(options.invariants).includes(false)) process.exitCode = 1;
}
