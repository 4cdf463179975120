import type { RuleConditions } from './assignment-rules.tables.js';
import type { Rule } from './rule.schemas.js';

export interface RoutableLead {
  state: string | null;
  city: string | null;
  source: string | null;
  language: string | null;
  tags: string[];
}

/**
 * The rule used when no tenant rule matches (and so with no rules at all), as in the callers
 * API Switchyard replaces: the eligible agents whose territories include the lead's state,
 * round robin; when none of them can take it (or the lead has no state), every eligible agent.
 */
export const fallbackRule: Pick<
  Rule,
  'id' | 'name' | 'agentIds' | 'strategy' | 'matchTerritory' | 'territoryFallback' | 'sticky'
> = {
  id: '',
  name: 'fallback: all active agents',
  agentIds: null,
  strategy: 'round_robin',
  matchTerritory: true,
  territoryFallback: true,
  sticky: true,
};

const inList = (list: string[] | undefined, value: string | null) =>
  !list?.length || (value !== null && list.some((item) => item.toLowerCase() === value.toLowerCase()));

export function ruleMatches(conditions: RuleConditions, lead: RoutableLead): boolean {
  return (
    inList(conditions.states, lead.state) &&
    inList(conditions.cities, lead.city) &&
    inList(conditions.sources, lead.source) &&
    inList(conditions.languages, lead.language) &&
    (!conditions.tags?.length || lead.tags.some((tag) => inList(conditions.tags, tag)))
  );
}

/** Ordered rules, first match wins; the fallback when none matches. */
export function chooseRule(rules: Rule[], lead: RoutableLead): typeof fallbackRule {
  return rules.find((rule) => rule.active && ruleMatches(rule.conditions, lead)) ?? fallbackRule;
}
