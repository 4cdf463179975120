import { AppError } from '../http/app-error.js';

export type LeadColumn =
  | 'phone'
  | 'name'
  | 'firstName'
  | 'lastName'
  | 'email'
  | 'company'
  | 'source'
  | 'city'
  | 'state'
  | 'pincode'
  | 'language'
  | 'tags'
  | 'status'
  | 'followUpAt';

const aliases: Record<LeadColumn, string[]> = {
  phone: [
    'phone',
    'mobile',
    'phone_number',
    'mobile_number',
    'phone_no',
    'mobile_no',
    'contact',
    'contact_number',
    'telephone',
    'tel',
    'whatsapp',
    'cell',
  ],
  name: ['name', 'full_name', 'fullname', 'lead_name', 'customer_name', 'contact_name'],
  firstName: ['first_name', 'firstname', 'given_name', 'first'],
  lastName: ['last_name', 'lastname', 'surname', 'family_name', 'last'],
  email: ['email', 'e_mail', 'email_address', 'mail'],
  company: ['company', 'company_name', 'organisation', 'organization', 'business'],
  source: ['source', 'lead_source', 'channel'],
  city: ['city', 'town'],
  state: ['state', 'region', 'province'],
  pincode: ['pincode', 'pin', 'pin_code', 'zip', 'zip_code', 'zipcode', 'postal_code', 'postcode'],
  language: ['language', 'lang'],
  tags: ['tags', 'tag', 'labels'],
  status: ['status', 'stage'],
  followUpAt: ['follow_up', 'follow_up_at', 'follow_up_date', 'followup', 'next_follow_up'],
};

const normalise = (header: string) =>
  header
    .trim()
    .toLowerCase()
    .replace(/[\s\-.]+/g, '_');

/** Column index of each lead field, from the header row (aliases) and an explicit mapping. */
export type ColumnMap = Partial<Record<LeadColumn, number>>;

export function mapColumns(header: string[], explicit: Partial<Record<LeadColumn, string>> = {}): ColumnMap {
  const positions = new Map(header.map((name, index) => [normalise(name), index]));
  const map: ColumnMap = {};
  for (const [field, names] of Object.entries(aliases) as [LeadColumn, string[]][]) {
    const wanted = explicit[field];
    if (wanted !== undefined) {
      const index = positions.get(normalise(wanted));
      if (index === undefined) {
        throw new AppError('invalid_file', `The mapped column "${wanted}" is not in the header`, {
          details: { field, header },
        });
      }
      map[field] = index;
      continue;
    }
    const index = names.map((name) => positions.get(name)).find((found) => found !== undefined);
    if (index !== undefined) map[field] = index;
  }
  if (map.phone === undefined) {
    throw new AppError(
      'invalid_file',
      'The file has no phone column (expected a CSV header such as "phone" or "mobile")',
      { details: { header: header.slice(0, 50) } },
    );
  }
  return map;
}

/** The row as ingest input: only the mapped, non-empty cells. */
export function rowToInput(row: string[], columns: ColumnMap): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [field, index] of Object.entries(columns) as [LeadColumn, number][]) {
    const value = row[index]?.trim();
    if (!value) continue;
    input[field] =
      field === 'tags'
        ? value
            .split(/[,;|]/)
            .map((tag) => tag.trim())
            .filter(Boolean)
        : value;
  }
  return input;
}
