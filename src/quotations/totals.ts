import { AppError, type FieldIssue } from '../http/app-error.js';

/**
 * Quotation arithmetic, on the server only, in integers (BigInt, so no intermediate product can
 * lose precision). Amounts are minor units of the quotation's currency; quantities are positive
 * integers; percentages have at most 2 decimals and are kept as basis points (12.5 % = 1250).
 *
 * Per line, in this order:
 *   gross    = quantity × unitPrice
 *   discount = round(gross × discountBp / 10000)
 *   net      = gross − discount
 *   tax      = round(net × taxBp / 10000)
 *   total    = net + tax
 * `round` is half away from zero (amounts are never negative, so: halves round up), applied once
 * per line to the discount and once to the tax. The quotation's subtotal, discount, tax and total
 * are the sums of its lines' (no rounding on sums). Every amount must stay within
 * Number.MAX_SAFE_INTEGER (2^53 − 1), else the request is a 400.
 */

export type PaymentType = 'prepaid' | 'cod' | 'partial';

export interface LineInput {
  name: string;
  sku?: string | null;
  quantity: number;
  unitPrice: number;
  /** Basis points, 0…10000. */
  discountBp: number;
  /** Basis points, 0…10000. */
  taxBp: number;
}

/** A line as a version stores it: its input and what the server computed from it. */
export interface ComputedLine extends LineInput {
  sku: string | null;
  gross: number;
  discount: number;
  net: number;
  tax: number;
  total: number;
}

export interface Totals {
  lines: ComputedLine[];
  subtotal: number;
  discountTotal: number;
  taxTotal: number;
  total: number;
}

const basis = 10_000n;
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/** `numerator / denominator` rounded half away from zero (denominator > 0). */
export function roundHalfAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const rounded = (2n * magnitude + denominator) / (2n * denominator);
  return negative ? -rounded : rounded;
}

/** The line's amounts, as BigInt. */
export function lineAmounts(line: Pick<LineInput, 'quantity' | 'unitPrice' | 'discountBp' | 'taxBp'>) {
  const gross = BigInt(line.quantity) * BigInt(line.unitPrice);
  const discount = roundHalfAwayFromZero(gross * BigInt(line.discountBp), basis);
  const net = gross - discount;
  const tax = roundHalfAwayFromZero(net * BigInt(line.taxBp), basis);
  return { gross, discount, net, tax, total: net + tax };
}

/** The lines' amounts and the quotation's totals; a 400 naming the line when an amount is too large. */
export function computeTotals(lines: LineInput[], path = 'body.lines'): Totals {
  const issues: FieldIssue[] = [];
  const sums = { subtotal: 0n, discount: 0n, tax: 0n, total: 0n };
  const computed = lines.map((line, i) => {
    const amounts = lineAmounts(line);
    if (amounts.gross > maxSafe || amounts.total > maxSafe) {
      issues.push({ path: `${path}.${i}`, message: 'The line amount exceeds 2^53 - 1 minor units' });
    }
    sums.subtotal += amounts.gross;
    sums.discount += amounts.discount;
    sums.tax += amounts.tax;
    sums.total += amounts.total;
    return {
      name: line.name,
      sku: line.sku ?? null,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      discountBp: line.discountBp,
      taxBp: line.taxBp,
      gross: Number(amounts.gross),
      discount: Number(amounts.discount),
      net: Number(amounts.net),
      tax: Number(amounts.tax),
      total: Number(amounts.total),
    };
  });
  if (issues.length === 0 && (sums.subtotal > maxSafe || sums.total > maxSafe)) {
    issues.push({ path, message: 'The quotation total exceeds 2^53 - 1 minor units' });
  }
  if (issues.length > 0) throw AppError.invalidFields(issues);
  return {
    lines: computed,
    subtotal: Number(sums.subtotal),
    discountTotal: Number(sums.discount),
    taxTotal: Number(sums.tax),
    total: Number(sums.total),
  };
}

export interface PaymentSplit {
  type: PaymentType;
  prepaidAmount: number;
  codAmount: number;
}

/**
 * The payment split of `total`: `prepaid` → all prepaid; `cod` → all cash on delivery;
 * `partial` → the given prepaid amount (required, at most the total) and the rest COD.
 * Prepaid + COD = total always.
 */
export function paymentSplit(
  type: PaymentType,
  total: number,
  prepaidAmount: number | undefined,
  path = 'body.payment',
): PaymentSplit {
  if (type === 'partial') {
    if (prepaidAmount === undefined) {
      throw AppError.invalidFields([
        { path: `${path}.prepaidAmount`, message: 'A partial payment needs its prepaid amount' },
      ]);
    }
    if (prepaidAmount > total) {
      throw AppError.invalidFields([
        {
          path: `${path}.prepaidAmount`,
          message: `The prepaid amount (${prepaidAmount}) exceeds the total (${total})`,
        },
      ]);
    }
    return { type, prepaidAmount, codAmount: total - prepaidAmount };
  }
  if (prepaidAmount !== undefined) {
    throw AppError.invalidFields([
      { path: `${path}.prepaidAmount`, message: `Only a partial payment takes a prepaid amount` },
    ]);
  }
  return type === 'prepaid'
    ? { type, prepaidAmount: total, codAmount: 0 }
    : { type, prepaidAmount: 0, codAmount: total };
}
