import type { LeadsTable } from './leads.tables.js';
import type { Insertable } from 'kysely';
import { normalisePhone } from './phone.js';
import type { IngestLeadInput, PatchLeadInput } from './lead.schemas.js';

type FieldInput = Omit<PatchLeadInput, 'status' | 'reopen' | 'assignedAgentId' | 'score'>;

/** Splits a full name at its last space: "Asha Rani Verma" → "Asha Rani" + "Verma". */
function splitName(name: string): { first_name: string; last_name: string | null } {
  const at = name.lastIndexOf(' ');
  return at < 0
    ? { first_name: name, last_name: null }
    : { first_name: name.slice(0, at), last_name: name.slice(at + 1) };
}

const unique = (values: string[]) => [...new Set(values)];

/** The lead fields whose API name is their column name, stored as given (table order). */
export const plainLeadFields = ['company', 'source', 'city', 'state', 'pincode', 'language'] as const;

/** API field names → column values, for the fields present in the input (normalised). */
export function toLeadColumns(input: FieldInput, defaultCountry: string): Partial<Insertable<LeadsTable>> {
  const columns: Partial<Insertable<LeadsTable>> = {};
  if (input.name !== undefined && input.firstName === undefined && input.lastName === undefined) {
    Object.assign(columns, splitName(input.name));
  }
  if (input.firstName !== undefined) columns.first_name = input.firstName;
  if (input.lastName !== undefined) columns.last_name = input.lastName;
  if (input.phone !== undefined) columns.phone = normalisePhone(input.phone, defaultCountry);
  if (input.email !== undefined) columns.email = input.email?.toLowerCase() ?? null;
  for (const field of plainLeadFields) if (input[field] !== undefined) columns[field] = input[field];
  if (input.tags !== undefined) columns.tags = unique(input.tags);
  if (input.followUpAt !== undefined) columns.follow_up_at = input.followUpAt;
  if (input.customFields !== undefined) columns.custom_fields = JSON.stringify(input.customFields);
  if ('doNotCall' in input && input.doNotCall !== undefined) columns.do_not_call = input.doNotCall;
  return columns;
}

export type NewLeadInput = IngestLeadInput;
