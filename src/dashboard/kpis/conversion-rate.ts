import { z } from 'zod';
import { compared, evaluateKpi, kpiSchema, type KpiContext } from '../kpi.js';
import { convertedLeads, newLeads } from './new-leads.js';

export const ratioKpiSchema = kpiSchema
  .pick({ value: true, previous: true, delta: true, deltaPercent: true, definition: true })
  .extend({
    numerator: kpiSchema,
    denominator: kpiSchema,
  })
  .meta({
    description:
      'numerator.value / denominator.value (null when the denominator is 0); each has its drill-down',
  });

const ratio = (numerator: number | null, denominator: number | null) =>
  numerator === null || !denominator ? null : numerator / denominator;

/** Cohort conversion: of the leads created in the period, the share converted into a contact by now. */
export async function conversionRate(ctx: KpiContext): Promise<z.infer<typeof ratioKpiSchema>> {
  const [numerator, denominator] = await Promise.all([
    evaluateKpi(convertedLeads, ctx),
    evaluateKpi(newLeads, ctx),
  ]);
  return {
    ...compared({
      current: ratio(numerator.value, denominator.value),
      previous: ratio(numerator.previous, denominator.previous),
    }),
    definition:
      'Of the leads created in the period, the share converted into a contact by now (a ratio from 0 to 1): numerator / denominator.',
    numerator,
    denominator,
  };
}
