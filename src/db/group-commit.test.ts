import { describe, expect, it } from 'vitest';
import { GroupCommit, type BatchItemOutcome } from './group-commit.js';

/** A flush that records its batches and completes only when released. */
function recordingFlush() {
  const batches: { key: string; items: number[] }[] = [];
  const releases: (() => void)[] = [];
  const flush = async (key: string, items: number[]): Promise<BatchItemOutcome<string>[]> => {
    batches.push({ key, items });
    await new Promise<void>((resolve) => releases.push(resolve));
    if (items.length > 1 && items.includes(13)) throw new Error('batch refused');
    return items.map((item) => (item < 0 ? { error: new Error(`bad ${item}`) } : { ok: `${key}:${item}` }));
  };
  const releaseAll = async () => {
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { batches, flush, releaseAll };
}

describe('GroupCommit', () => {
  it('writes the first item at once and the ones arriving meanwhile together', async () => {
    const { batches, flush, releaseAll } = recordingFlush();
    const commits = new GroupCommit(flush, { maxBatch: 10, maxInFlight: 1 });
    const results = [1, 2, 3, 4].map((item) => commits.submit('a', item));
    expect(batches).toEqual([{ key: 'a', items: [1] }]);
    await releaseAll();
    expect(await Promise.all(results)).toEqual(['a:1', 'a:2', 'a:3', 'a:4']);
    expect(batches).toEqual([
      { key: 'a', items: [1] },
      { key: 'a', items: [2, 3, 4] },
    ]);
  });

  it('caps a batch at maxBatch and runs keys independently', async () => {
    const { batches, flush, releaseAll } = recordingFlush();
    const commits = new GroupCommit(flush, { maxBatch: 2, maxInFlight: 1 });
    const results = [...[1, 2, 3, 4].map((item) => commits.submit('a', item)), commits.submit('b', 9)];
    await releaseAll();
    expect(await Promise.all(results)).toEqual(['a:1', 'a:2', 'a:3', 'a:4', 'b:9']);
    expect(batches.map((batch) => `${batch.key}${batch.items.join('')}`)).toEqual(['a1', 'b9', 'a23', 'a4']);
  });

  it('rejects only the item its outcome refuses', async () => {
    const { flush, releaseAll } = recordingFlush();
    const commits = new GroupCommit(flush, { maxBatch: 10, maxInFlight: 1 });
    const results = [1, -2, 3].map((item) =>
      commits.submit('a', item).catch((error: Error) => error.message),
    );
    await releaseAll();
    expect(await Promise.all(results)).toEqual(['a:1', 'bad -2', 'a:3']);
  });

  it('retries a batch that fails as a whole item by item', async () => {
    const { batches, flush, releaseAll } = recordingFlush();
    const commits = new GroupCommit(flush, { maxBatch: 10, maxInFlight: 1 });
    const first = commits.submit('a', 1);
    const results = [12, 13, 14].map((item) => commits.submit('a', item));
    await releaseAll();
    await first;
    expect(await Promise.all(results)).toEqual(['a:12', 'a:13', 'a:14']);
    expect(batches.map((batch) => batch.items)).toEqual([[1], [12, 13, 14], [12], [13], [14]]);
  });
});
