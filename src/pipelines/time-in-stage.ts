/** What time in stage needs of a history entry. */
export interface TimedEntry {
  stageId: string;
  enteredAt: Date;
  exitedAt: Date | null;
}

/**
 * Time spent in each stage, in integer milliseconds: per stage, the sum over its entries of
 * (exitedAt, or `now` for the open entry) − enteredAt, in the order stages were first entered.
 * An entry's duration is never negative (an open entry entered after `now` counts 0). For a
 * history without gaps (each entry exits when the next enters, as `moveToStage` writes it) the
 * sums add up to `now` − the first entry's enteredAt.
 */
export function timeInStages(
  entries: readonly TimedEntry[],
  now: Date,
): { stageId: string; durationMs: number; entries: number }[] {
  const byStage = new Map<string, { stageId: string; durationMs: number; entries: number }>();
  for (const entry of entries) {
    const total = byStage.get(entry.stageId) ?? { stageId: entry.stageId, durationMs: 0, entries: 0 };
    total.durationMs += entryDurationMs(entry, now);
    total.entries += 1;
    byStage.set(entry.stageId, total);
  }
  return [...byStage.values()];
}

/** (exitedAt ?? now) − enteredAt, in milliseconds, at least 0. */
export function entryDurationMs(entry: TimedEntry, now: Date): number {
  return Math.max(0, (entry.exitedAt ?? now).getTime() - entry.enteredAt.getTime());
}
