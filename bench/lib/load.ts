import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

/** Drives HTTP load with autocannon; `pick` chooses each request's path and headers. */
export async function runLoad(options: {
  url: string;
  connections: number;
  durationSeconds: number;
  pick?: () => { method?: string; path: string; headers?: Record<string, string>; body?: string };
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    requests: options.pick
      ? [
          {
            setupRequest: (request) => {
              const next = options.pick!();
              return { ...request, ...next, method: (next.method ?? 'GET') as 'GET' };
            },
          },
        ]
      : undefined,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
