/**
 * Delay before retry number `attempt` (0-based): doubles from `baseMs` up to `maxMs`, then
 * "equal jitter" (half fixed, half random), so processes that lost the same server do not
 * retry in lockstep, and a retry still comes within `maxMs` once the server is back.
 */
export function jitteredBackoffMs(attempt: number, options: { baseMs: number; maxMs: number }): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
