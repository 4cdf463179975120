import { describe, expect, it } from 'vitest';
import { TenantCache } from './tenant-cache.js';
import { TenantChanges } from './tenant-changes.js';

interface Value {
  tenantId: string;
  read: number;
}

describe('TenantCache', () => {
  const setup = (ttlMs = 60_000) => {
    const changes = new TenantChanges();
    const cache = new TenantCache<string, Value>(changes, {
      ttlMs,
      max: 100,
      tenantOf: (value) => value.tenantId,
    });
    let reads = 0;
    const load = (tenantId: string) => () => Promise.resolve({ tenantId, read: ++reads });
    return { changes, cache, load };
  };

  it("keeps what it read until that value's tenant changes, or every tenant may have", async () => {
    const { changes, cache, load } = setup();
    expect(await cache.getOrLoad('a', load('t1'))).toEqual({ tenantId: 't1', read: 1 });
    expect(await cache.getOrLoad('b', load('t2'))).toEqual({ tenantId: 't2', read: 2 });
    expect(await cache.getOrLoad('a', load('t1'))).toEqual({ tenantId: 't1', read: 1 });

    changes.changed('t1');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual({ tenantId: 't2', read: 2 });
    expect(await cache.getOrLoad('a', load('t1'))).toEqual({ tenantId: 't1', read: 3 });

    changes.changed(null);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
  });

  it('does not keep a read that a change overtook, a null, a failure, or anything without a TTL', async () => {
    const { changes, cache, load } = setup();
    let finishRead!: (value: Value) => void;
    const slow = cache.getOrLoad('a', () => new Promise<Value>((resolve) => (finishRead = resolve)));
    changes.changed('t9'); // any tenant: the read cannot tell what the change touched
    finishRead({ tenantId: 't1', read: 0 });
    expect(await slow).toEqual({ tenantId: 't1', read: 0 });
    expect(cache.get('a')).toBeUndefined();

    expect(await cache.getOrLoad('none', () => Promise.resolve(null))).toBeNull();
    expect(cache.get('none')).toBeUndefined();
    await expect(cache.getOrLoad('bad', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(cache.get('bad')).toBeUndefined();

    const untimed = setup(0);
    await untimed.cache.getOrLoad('a', load('t1'));
    expect(untimed.cache.get('a')).toBeUndefined();
  });
});
