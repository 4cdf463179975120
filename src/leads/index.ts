// The leads component's public surface: other folders import from here only.
export { assignPendingLeads } from './assign-pending.js';
export {
  changedLead,
  changeLeadWithin,
  planLeadChange,
  requireAssignable,
  writeLeadChange,
} from './change-lead.js';
export type { LeadChangePlan } from './change-lead.js';
export { ingestLeadsWithin, prepareLeads } from './ingest-batch.js';
export type { BatchOverlap, PreparedLead } from './ingest-batch.js';
export { ingestLead, ingestLeadWithin, loadIngestSettings } from './ingest-lead.js';
export type { IngestSettings } from './ingest-lead.js';
export { leadContextOf, leadUnitDeps } from './lead-context.js';
export type { LeadContext, LeadUnitServices } from './lead-context.js';
export type { LeadEvent, LeadEventName } from './lead-events.js';
export { plainLeadFields } from './lead-fields.js';
export {
  leadFilterBodySchema,
  leadFilterSchema,
  leadListQuerySchema,
  leadPageSchema,
  leadPagingSchema,
} from './lead-query.schemas.js';
export type { LeadFilter } from './lead-query.schemas.js';
export { listLeads, matchingLeadRefs } from './lead-query.js';
export { agentRoom, maskLead } from './lead-realtime.js';
export { leadRef, toLead } from './lead.mapper.js';
export type { LeadRow } from './lead.mapper.js';
export { findLeadRow, lastLeadNumber, leadSelection, selectLeads } from './lead.repository.js';
export { ingestLeadSchema, leadIdParams, leadSchema, leadStatuses } from './lead.schemas.js';
export type { IngestLeadInput, Lead } from './lead.schemas.js';
export { normalisePhone } from './phone.js';
export { requireLeadRow, requireLeadToChange } from './require-lead-row.js';
export { contactVisibleTo, leadIdVisibleTo, leadVisibleTo } from './lead-visibility.js';
export { requireTenantWideWrite, requireVisibleLead, requireWritable } from './visible-lead.js';
export { announceFollowUps, followUpChangesOf } from './follow-up-changed.js';
export type { DoNotCallChanged } from './do-not-call-changed.js';
export type { FollowUpChanged } from './follow-up-changed.js';
