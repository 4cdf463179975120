/** Recipients per batch: at most a page of leads, and never more than a minute's worth. */
const maxBatch = 100;

export function batchSizeOf(ratePerMinute: number): number {
  return Math.min(maxBatch, ratePerMinute);
}

/** When batch `index` may start sending, so the campaign never exceeds its rate. */
export function batchRunAt(startAt: number, index: number, ratePerMinute: number): Date {
  const spacingMs = Math.ceil((batchSizeOf(ratePerMinute) / ratePerMinute) * 60_000);
  return new Date(startAt + index * spacingMs);
}
