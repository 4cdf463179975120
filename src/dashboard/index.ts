// The dashboard component's public surface: other folders import from here only.
export { evaluateKpi, inEitherPeriod, inPeriod, isCurrent, kpiOf, kpiSchema, periodCounts } from './kpi.js';
export type { Drilldown, Kpi, KpiContext, KpiDefinition, Measured } from './kpi.js';
export type { Period, Periods } from './period.js';
