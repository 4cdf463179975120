/** One item's outcome inside a batch: its result, or the error that refused only this item. */
export type BatchItemOutcome<Result> = { ok: Result } | { error: unknown };

export interface GroupCommitOptions {
  /** Most items written by one flush. */
  maxBatch: number;
  /** Flushes of one key running at once; items arriving meanwhile wait for the next flush. */
  maxInFlight: number;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

interface Lane<Item, Result> {
  waiting: Waiting<Item, Result>[];
  inFlight: number;
}

/**
 * Group commit: concurrent writes for the same key (a tenant) are written together, one
 * transaction for many items, instead of a transaction each. Nothing waits on a timer: a
 * write goes out at once when a flush slot is free, and the writes that arrive while every
 * slot is busy go out together in the next flush, so batches grow only under load.
 * A flush that fails as a whole is retried item by item, so one bad item cannot fail the
 * others in its batch.
 */
export class GroupCommit<Item, Result> {
  private readonly lanes = new Map<string, Lane<Item, Result>>();

  constructor(
    private readonly flush: (key: string, items: Item[]) => Promise<BatchItemOutcome<Result>[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(key: string, item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      let lane = this.lanes.get(key);
      if (!lane) {
        lane = { waiting: [], inFlight: 0 };
        this.lanes.set(key, lane);
      }
      lane.waiting.push({ item, resolve, reject });
      this.drain(key, lane);
    });
  }

  private drain(key: string, lane: Lane<Item, Result>): void {
    while (lane.inFlight < this.options.maxInFlight && lane.waiting.length > 0) {
      const batch = lane.waiting.splice(0, this.options.maxBatch);
      lane.inFlight++;
      void this.write(key, batch).finally(() => {
        lane.inFlight--;
        if (lane.inFlight === 0 && lane.waiting.length === 0) this.lanes.delete(key);
        else this.drain(key, lane);
      });
    }
  }

  private async write(key: string, batch: Waiting<Item, Result>[]): Promise<void> {
    let outcomes: BatchItemOutcome<Result>[];
    try {
      outcomes = await this.flush(
        key,
        batch.map((waiting) => waiting.item),
      );
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // Alone, each item succeeds or fails on its own account.
      await Promise.all(batch.map((waiting) => this.write(key, [waiting])));
      return;
    }
    batch.forEach((waiting, index) => {
      const outcome = outcomes[index]!;
      if ('ok' in outcome) waiting.resolve(outcome.ok);
      else waiting.reject(outcome.error);
    });
  }
}
