import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { maskEmail, maskPhone, maskPii, piiEmail, piiPaths, piiPhone } from './pii.js';

describe('PII masking', () => {
  it('masks phones to country code and last four digits, emails to first letters and TLD', () => {
    expect(maskPhone('+919876543210')).toBe('+91••••••3210');
    expect(maskPhone('+14155550123')).toBe('+1••••••0123');
    expect(maskPhone('+971501234567')).toBe('+971•••••4567');
    expect(maskPhone('919876543210')).toBe('91••••••3210');
    // A short number keeps at most all but four digits.
    expect(maskPhone('12345')).toBe('••••5');
    expect(maskPhone('123')).toBe('•••');
    expect(maskEmail('jane.doe@example.com')).toBe('j•••@e•••.com');
    expect(maskEmail('a@b.co.uk')).toBe('a•••@b•••.uk');
    expect(maskEmail('nodomain')).toBe('n•••');
  });

  it('finds marked fields through objects, arrays, records, unions and wrappers, once per schema', () => {
    const item = z.object({ phone: piiPhone(), email: piiEmail().nullable(), name: z.string() });
    const schema = z.object({
      items: z.array(item),
      byKey: z.record(z.string(), item.optional()),
      either: z.union([item, z.object({ deleted: z.literal(true) })]),
    });
    const paths = piiPaths(schema).map(({ kind, path }) => `${kind}:${path.join('.')}`);
    expect(paths.sort()).toEqual(
      [
        'email:byKey.*.email',
        'email:either.email',
        'email:items.*.email',
        'phone:byKey.*.phone',
        'phone:either.phone',
        'phone:items.*.phone',
      ].sort(),
    );
    const data = {
      items: [{ phone: '+919876543210', email: null, name: 'A' }],
      byKey: { x: { phone: '+14155550123', email: 'x@y.com', name: 'B' } },
      either: { deleted: true },
    };
    const masked = maskPii(data, piiPaths(schema));
    expect(masked).toEqual({
      items: [{ phone: '+91••••••3210', email: null, name: 'A' }],
      byKey: { x: { phone: '+1••••••0123', email: 'x•••@y•••.com', name: 'B' } },
      either: { deleted: true },
    });
    // The original is left as it was (handlers may answer cached objects).
    expect(data.items[0]!.phone).toBe('+919876543210');
    expect(piiPaths(z.object({ id: z.string() }))).toEqual([]);
  });
});
