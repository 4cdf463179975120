/**
 * pnpm bench:routing — tenant routing cost. Requests/s of GET /api/crm/whoami spread at
 * random over 1,000 tenants (with MAX_CACHED_TENANTS=500, so about half the requests find
 * their tenant evicted and reopen it) against bare GET / in the same run.
 */
import { startBenchServer } from './bench-server.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { describeMachine } from './lib/machine.js';

const tenantCount = Number(process.env.BENCH_TENANTS ?? 1000);
const durationSeconds = Number(process.env.BENCH_SECONDS ?? 15);
const connections = 64;

const server = await startBenchServer({ MAX_CACHED_TENANTS: String(tenantCount / 2) });
try {
  const tenants: Record<string, string>[] = [];
  const provisionStarted = performance.now();
  for (let batch = 0; batch < tenantCount; batch += 16) {
    const created = await Promise.all(
      Array.from(
        { length: Math.min(16, tenantCount - batch) },
        async (_, i) => (await server.createTenant(`bench${batch + i}`)).headers,
      ),
    );
    tenants.push(...created);
  }
  const provisionSeconds = (performance.now() - provisionStarted) / 1000;

  await runLoad({ url: server.baseUrl, connections, durationSeconds: 2 }); // warm-up
  const bare = await runLoad({ url: server.baseUrl, connections, durationSeconds });
  const routed = await runLoad({
    url: server.baseUrl,
    connections,
    durationSeconds,
    pick: () => ({ path: '/api/crm/whoami', headers: tenants[Math.floor(Math.random() * tenants.length)]! }),
  });
  const stats = (await (
    await fetch(`${server.baseUrl}/api/platform/stats`, { headers: server.adminHeaders })
  ).json()) as {
    data: { process: { rssBytes: number }; tenancy: { cachedTenants: number; pools: number } };
  };

  const row = (name: string, r: LoadResult) =>
    `| ${name} | ${Math.round(r.requestsPerSecond)} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx + r.errors} |`;
  console.log(`\nMachine: ${await describeMachine(server.database.url)}`);
  console.log(
    `Tenants: ${tenantCount} (provisioned in ${provisionSeconds.toFixed(1)} s), ${connections} connections, ${durationSeconds} s per run\n`,
  );
  console.log('| run | req/s | p50 ms | p99 ms | errors |');
  console.log('|---|---|---|---|---|');
  console.log(row('GET / (anchor)', bare));
  console.log(row('GET /api/crm/whoami over all tenants', routed));
  console.log(`\nRatio whoami/anchor: ${(routed.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}`);
  console.log(
    `Server after the run: ${stats.data.tenancy.pools} open pool(s), ${stats.data.tenancy.cachedTenants} cached tenant handles, RSS ${Math.round(stats.data.process.rssBytes / 2 ** 20)} MiB`,
  );
} finally {
  await server.stop();
}
