import { describe, expect, it } from 'vitest';
import { AppError } from '../http/app-error.js';
import { createQuotationBody } from './quotation.schemas.js';
import { toLineInputs } from './quotation.service.js';
import { bruteForceTotal, randomQuotation } from '../testing/quotation-random.js';
import { seededDraws as seeded } from '../testing/seeded-random.js';
import { computeTotals, paymentSplit, roundHalfAwayFromZero } from './totals.js';

describe('quotation totals', () => {
  it('rounds half away from zero', () => {
    expect(roundHalfAwayFromZero(5n, 10n)).toBe(1n);
    expect(roundHalfAwayFromZero(4n, 10n)).toBe(0n);
    expect(roundHalfAwayFromZero(15n, 10n)).toBe(2n);
    expect(roundHalfAwayFromZero(25n, 10n)).toBe(3n);
    expect(roundHalfAwayFromZero(-25n, 10n)).toBe(-3n);
    // 1 % of 50 is 0.5 → 1; 12.5 % of 4 is 0.5 → 1.
    const totals = computeTotals([
      { name: 'a', quantity: 1, unitPrice: 50, discountBp: 100, taxBp: 0 },
      { name: 'b', quantity: 4, unitPrice: 1, discountBp: 0, taxBp: 1250 },
    ]);
    expect(totals.lines.map((line) => [line.discount, line.tax])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(totals).toMatchObject({ subtotal: 54, discountTotal: 1, taxTotal: 1, total: 54 });
  });

  it('matches a brute-force sum over 10,000 random quotations, and prepaid + COD = total always', () => {
    const rng = seeded(19);
    let differences = 0;
    let refused = 0;
    let checked = 0;
    for (let n = 0; n < 10_000; n++) {
      const generated = randomQuotation(rng);
      const body = createQuotationBody.parse({ lines: generated.lines });
      const expected = bruteForceTotal(generated.lines);
      let total: number;
      try {
        total = computeTotals(toLineInputs(body.lines)).total;
      } catch (error) {
        // Refused only above 2^53 − 1 minor units.
        expect(error).toBeInstanceOf(AppError);
        expect(expected > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
        refused++;
        continue;
      }
      checked++;
      if (BigInt(total) !== expected) differences++;
      const prepaid = generated.payment === 'partial' ? rng.int(0, total) : undefined;
      const split = paymentSplit(generated.payment, total, prepaid);
      expect(split.prepaidAmount + split.codAmount).toBe(total);
      expect(Math.min(split.prepaidAmount, split.codAmount)).toBeGreaterThanOrEqual(0);
    }
    expect(differences).toBe(0);
    expect(checked + refused).toBe(10_000);
    expect(checked).toBeGreaterThan(9_000);
  });

  it('refuses amounts above 2^53 − 1 and a prepaid part above the total', () => {
    expect(() =>
      computeTotals([
        { name: 'x', quantity: 1_000_000, unitPrice: Number.MAX_SAFE_INTEGER, discountBp: 0, taxBp: 0 },
      ]),
    ).toThrow(AppError);
    expect(() => paymentSplit('partial', 100, 101)).toThrow(AppError);
    expect(() => paymentSplit('partial', 100, undefined)).toThrow(AppError);
    expect(paymentSplit('partial', 100, 30)).toEqual({ type: 'partial', prepaidAmount: 30, codAmount: 70 });
    expect(paymentSplit('cod', 100, undefined)).toEqual({ type: 'cod', prepaidAmount: 0, codAmount: 100 });
  });
});
