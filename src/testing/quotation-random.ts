import type { seededDraws } from './seeded-random.js';

/** Random quotations and an independent brute force of their totals, for the quotation tests. */

type Rng = ReturnType<typeof seededDraws>;

/** A percentage with 0, 1 or 2 decimals, often a round one, sometimes 0 or 100. */
function randomPercent(rng: Rng): number {
  const kind = rng.int(0, 5);
  if (kind === 0) return 0;
  if (kind === 1) return rng.pick([5, 7.5, 10, 12.5, 19, 20, 21, 33.33, 50, 99.99, 100]);
  const hundredths = rng.int(0, 10_000);
  return kind === 2
    ? Math.round(hundredths / 100)
    : kind === 3
      ? Math.round(hundredths / 10) / 10
      : hundredths / 100;
}

export function randomQuotation(rng: Rng) {
  const lines = Array.from({ length: rng.int(1, 8) }, (_, i) => ({
    name: `Item ${i}`,
    quantity: rng.pick([1, 1, 2, 3, rng.int(1, 100), rng.int(1, 1_000_000)]),
    unitPrice: rng.pick([
      rng.int(0, 100),
      rng.int(0, 10_000),
      rng.int(0, 10_000_000),
      rng.int(0, 1_000_000_000),
    ]),
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
export function bruteForceTotal(
  lines: { quantity: number; unitPrice: number; discountPercent: number; taxPercent: number }[],
) {
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
