import { describe, expect, it } from 'vitest';
import { AppError } from '../http/app-error.js';
import { createQuotationBody } from './quotation.schemas.js';
import { toLineInputs } from './quotation.service.js';
import { computeTotals, paymentSplit, roundHalfAwayFromZero } from './totals.js';

/** A small seeded generator (mulberry32): the same quotations on every run. */
export function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return { next, int, pick: <T>(items: readonly T[]) => items[int(0, items.length - 1)]! };
}

type Rng = ReturnType<typeof seeded>;

/** A percentage with 0, 1 or 2 decimals, often a round one, sometimes 0 or 100. */
function randomPercent(rng: Rng): number {
  const kind = rng.int(0, 5);
  if (kind === 0) return 0;
  if (kind === 1) return rng.pick([5, 7.5, 10, 12.5, 19, 20, 21, 33.33, 50, 99.99, 100]);
  const hundredths = rng.int(0, 10_000);
  return kind === 2 ? Math.round(hundredths / 100) : kind === 3 ? Math.round(hundredths / 10) / 10 : hundredths / 100;
}

export function randomQuotation(rng: Rng) {
  const lines = Array.from({ length: rng.int(1, 8) }, (_, i) => ({
    name: `Item ${i}`,
    quantity: rng.pick([1, 1, 2, 3, rng.int(1, 100), rng.int(1, 1_000_000)]),
    unitPrice: rng.pick([rng.int(0, 100), rng.int(0, 10_000), rng.int(0, 10_000_000), rng.int(0, 1_000_000_000)]),
    discountPercent: randomPercent(rng),
    taxPercent: randomPercent(rng),
  }));
  return { lines, payment: rng.pick(['prepaid', 'cod', 'partial'] as const) };
}

/**
 * The brute force, written apart from the server's: a percentage read from its decimal text as
 * an exact fraction, each amount an exact rational, then rounded half away from zero by comparing
 * the remainder with half the denominator.
 */
function fractionOf(percent: number): { num: bigint; den: bigint } {
  const [whole, decimals = ''] = String(percent).split('.');
  return { num: BigInt(whole! + decimals), den: 100n * 10n ** BigInt(decimals.length) };
}
function roundRational(num: bigint, den: bigint): bigint {
  const quotient = num / den;
  const remainder = num - quotient * den;
  return remainder * 2n >= den ? quotient + 1n : quotient;
}
export function bruteForceTotal(lines: { quantity: number; unitPrice: number; discountPercent: number; taxPercent: number }[]) {
  let total = 0n;
  for (const line of lines) {
    const gross = BigInt(line.unitPrice) * BigInt(line.quantity);
    const d = fractionOf(line.discountPercent);
    const discount = roundRational(gross * d.num, d.den);
    const net = gross - discount;
    const t = fractionOf(line.taxPercent);
    const tax = roundRational(net * t.num, t.den);
    total += net + tax;
  }
  return total;
}

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
      computeTotals([{ name: 'x', quantity: 1_000_000, unitPrice: Number.MAX_SAFE_INTEGER, discountBp: 0, taxBp: 0 }]),
    ).toThrow(AppError);
    expect(() => paymentSplit('partial', 100, 101)).toThrow(AppError);
    expect(() => paymentSplit('partial', 100, undefined)).toThrow(AppError);
    expect(paymentSplit('partial', 100, 30)).toEqual({ type: 'partial', prepaidAmount: 30, codAmount: 70 });
    expect(paymentSplit('cod', 100, undefined)).toEqual({ type: 'cod', prepaidAmount: 0, codAmount: 100 });
  });
});
