/** What the queue benchmark's producer and worker processes agree on. */
export type SystemName = 'switchyard' | 'graphile-worker' | 'pg-boss';
export const systems: SystemName[] = ['switchyard', 'graphile-worker', 'pg-boss'];

/**
 * drain: no-op jobs as fast as possible; latency: report enqueue-to-start lags;
 * fair: tenant A's jobs take 20 ms, tenant B's report their lag; hold: the first job hangs
 * (the worker is killed while holding it); recover: a second worker that runs everything.
 */
export type WorkerMode = 'drain' | 'latency' | 'fair' | 'hold' | 'recover';

export interface BenchPayload {
  /** process.hrtime.bigint() at enqueue, as a string: the monotonic clock is shared by processes. */
  sent?: string;
  tenant?: 'A' | 'B';
  sleepMs?: number;
  hold?: boolean;
}

export type WorkerMessage =
  | { type: 'prepared' }
  | { type: 'lags'; lagsNs: string[] }
  /** Handlers started so far (drain), so that the producer polls the database only at the end. */
  | { type: 'count'; started: number }
  | { type: 'holding' }
  | { type: 'ran'; hold: boolean };

export const benchKind = 'bench';
export const fairConcurrency = 10;
