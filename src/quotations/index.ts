// The quotations component's public surface: other folders import from here only.
export { quotationsComponent } from './quotations.component.js';
export { expireAllQuotations } from './quotations.cron.js';
export { computeTotals, paymentSplit, roundHalfAwayFromZero } from './totals.js';
export type { Quotation } from './quotation.schemas.js';
