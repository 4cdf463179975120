import { z } from 'zod';
import { piiPhone } from '../http/pii.js';
import { pageQuery } from '../http/pagination.js';

export const doNotCallSources = ['manual', 'lead_request', 'import', 'api'] as const;

export const doNotCallEntrySchema = z.object({
  phone: piiPhone(),
  reason: z.string().nullable(),
  source: z.enum(doNotCallSources).meta({
    description:
      '`manual`: a user (or a lead marked do-not-call by hand), `api`: an API key, `lead_request`: the lead asked (a WhatsApp message), `import`: a CSV import',
  }),
  addedBy: z.object({
    type: z.enum(['user', 'api_key', 'system']),
    id: z.string().nullable(),
    name: z.string(),
  }),
  createdAt: z.string(),
});

export const doNotCallListQuery = z.object({
  phone: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^\+?[\d\s().-]+$/, 'digits, optionally after a +')
    .optional()
    .meta({ description: 'Numbers containing these digits; a leading `+` matches from the start (`+4420`)' }),
  ...pageQuery,
});

export const addDoNotCallSchema = z.object({
  phones: z.array(z.string().trim().min(1).max(40)).min(1).max(1000).meta({
    description:
      "Numbers to list (at most 1000), normalised to E.164 like a lead's phone (the tenant's country by default)",
  }),
  reason: z.string().trim().min(1).max(500).optional(),
});

export const addDoNotCallResultSchema = z.object({
  added: z.array(piiPhone()).meta({ description: 'Numbers newly listed (E.164)' }),
  alreadyListed: z
    .array(piiPhone())
    .meta({ description: 'Numbers that were listed already (their entry is kept)' }),
  leadsFlagged: z.number().int().meta({ description: 'Leads whose doNotCall flag this set' }),
});

export const doNotCallPhoneParams = z.object({ phone: z.string().trim().min(1).max(40) });

export const removeDoNotCallResultSchema = z.object({
  phone: piiPhone(),
  removed: z.literal(true),
  leadsCleared: z.number().int().meta({ description: 'Leads whose doNotCall flag this cleared' }),
});
