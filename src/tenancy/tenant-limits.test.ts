import { describe, expect, it } from 'vitest';
import type { Config } from '../config/config.js';
import {
  effectiveLimits,
  limitFor,
  patchTenantLimits,
  readTenantLimits,
  tenantLimitsPatchSchema,
  tenantLimitsSchema,
} from './tenant-limits.js';

const config = { imports: { maxBytes: 50 * 1024 * 1024 } } as Config;

describe('tenant limits', () => {
  it("answer the tenant's override, else the process-wide value", () => {
    expect(limitFor({ limits: { importMaxBytes: 1000 } }, 'importMaxBytes', config)).toBe(1000);
    expect(limitFor({ limits: {} }, 'importMaxBytes', config)).toBe(50 * 1024 * 1024);
    expect(effectiveLimits({ limits: {} }, config)).toEqual({ importMaxBytes: 50 * 1024 * 1024 });
  });

  it('accept positive whole numbers only, and no unknown key', () => {
    expect(tenantLimitsSchema.parse({ importMaxBytes: 1 })).toEqual({ importMaxBytes: 1 });
    expect(tenantLimitsSchema.parse({})).toEqual({});
    for (const bad of [
      { importMaxBytes: 0 },
      { importMaxBytes: 2.5 },
      { importMaxBytes: null },
      { other: 1 },
    ]) {
      expect(tenantLimitsSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(tenantLimitsPatchSchema.parse({ importMaxBytes: null })).toEqual({ importMaxBytes: null });
    expect(tenantLimitsPatchSchema.safeParse({ other: null }).success).toBe(false);
  });

  it('patch: a value sets, null removes, absent keeps', () => {
    expect(patchTenantLimits({}, { importMaxBytes: 5 })).toEqual({ importMaxBytes: 5 });
    expect(patchTenantLimits({ importMaxBytes: 5 }, {})).toEqual({ importMaxBytes: 5 });
    expect(patchTenantLimits({ importMaxBytes: 5 }, { importMaxBytes: null })).toEqual({});
  });

  it('read a stored row leniently: unknown keys and refused values are left out', () => {
    expect(readTenantLimits({ importMaxBytes: 7, future: 1 })).toEqual({ importMaxBytes: 7 });
    expect(readTenantLimits({ importMaxBytes: -1 })).toEqual({});
    expect(readTenantLimits('{"importMaxBytes":9}')).toEqual({ importMaxBytes: 9 });
    expect(readTenantLimits(null)).toEqual({});
  });
});
