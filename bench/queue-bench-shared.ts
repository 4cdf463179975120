/** What the queue benchmark's producer and worker processes agree on. */
import { z } from 'zod';

export type SystemName = 'switchyard' | 'graphile-worker' | 'pg-boss';
export const systems: SystemName[] = ['switchyard', 'graphile-worker', 'pg-boss'];

/**
 * drain: no-op jobs as fast as possible; latency: report enqueue-to-start lags;
 * fair: tenant A's jobs take 20 ms, tenant B's report their lag; hold: the first job hangs
 * (the worker is killed while holding it); recover: a second worker that runs everything.
 */
export type WorkerMode = 'drain' | 'latency' | 'fair' | 'hold' | 'recover';

/** Switchyard's worker reads it as it reads every payload, so the benchmark counts that cost. */
export const benchPayload = z.object({
  /** process.hrtime.bigint() at enqueue, as a string: the monotonic clock is shared by processes. */
  sent: z.string().optional(),
  tenant: z.enum(['A', 'B']).optional(),
  sleepMs: z.number().optional(),
  hold: z.boolean().optional(),
});
export type BenchPayload = z.infer<typeof benchPayload>;

export type WorkerMessage =
  | { type: 'prepared' }
  | { type: 'lags'; lagsNs: string[] }
  /** Handlers started so far (drain), so that the producer polls the database only at the end. */
  | { type: 'count'; started: number }
  | { type: 'holding' }
  | { type: 'ran'; hold: boolean };

export const benchKind = 'bench';
export const fairConcurrency = 10;
