import { z } from 'zod';

const values = z.array(z.string().trim().min(1).max(120)).max(200).optional();

export const ruleConditionsSchema = z.object({
  states: values,
  cities: values,
  sources: values,
  languages: values,
  tags: values,
});

export const ruleInputSchema = z.object({
  name: z.string().trim().min(1).max(200),
  /** Lower runs first. */
  position: z.number().int().min(0).max(1_000_000).optional(),
  active: z.boolean().optional(),
  conditions: ruleConditionsSchema.optional(),
  /** The agent pool; `null` or absent = every agent. */
  agentIds: z.array(z.uuid()).min(1).max(1000).nullable().optional(),
  strategy: z.enum(['round_robin', 'weighted', 'least_loaded']).optional(),
  /** Only agents whose territories include the lead's state. */
  matchTerritory: z
    .boolean()
    .optional()
    .meta({ description: "Only agents whose territories include the lead's state (case-insensitive)" }),
  /**
   * With `matchTerritory`: when no eligible agent of the pool covers the lead's state (or the
   * lead has none), give it to the whole pool instead of leaving it unassigned. Default true.
   */
  territoryFallback: z.boolean().optional().meta({
    description:
      "With matchTerritory: when no eligible agent of the pool covers the lead's state (or it has none), the whole pool takes it; false leaves it unassigned (no_territory_match). Default true",
  }),
  /** Give a returning phone to its previous owner when that owner can take it. */
  sticky: z.boolean().optional(),
});
export type RuleInput = z.infer<typeof ruleInputSchema>;

export const ruleSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  position: z.number().int(),
  active: z.boolean(),
  conditions: ruleConditionsSchema,
  agentIds: z.array(z.uuid()).nullable(),
  strategy: z.enum(['round_robin', 'weighted', 'least_loaded']),
  matchTerritory: z.boolean(),
  territoryFallback: z.boolean(),
  sticky: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Rule = z.infer<typeof ruleSchema>;
