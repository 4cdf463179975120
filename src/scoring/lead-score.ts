import type { ScoringSettings } from './scoring-settings.js';

export interface ScoredFields {
  source: string | null;
  company: string | null;
  email: string | null;
  tags: string[];
}

/** The rule-based score 0–100 of a lead under the tenant's weights. */
export function scoreLead(lead: ScoredFields, settings: ScoringSettings): number {
  let score = settings.base;
  if (lead.source) score += settings.sources[lead.source.toLowerCase()] ?? 0;
  if (lead.company?.trim()) score += settings.companyPresent;
  const domain = lead.email?.split('@')[1]?.toLowerCase();
  if (domain && !settings.freeEmailDomains.includes(domain)) score += settings.businessEmail;
  const tagPoints = lead.tags.map((tag) => settings.tags[tag.toLowerCase()] ?? 0);
  if (tagPoints.length > 0) score += Math.max(0, ...tagPoints);
  return Math.min(100, Math.max(0, score));
}
