import { weightedRotation } from '../assignment/index.js';
import type { PlannedAgent } from './cohorts.tables.js';

/** Rotations longer than this are scaled down (shares kept to within a slot in this many). */
const maxSlots = 10_000;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * One cycle of the distribution: agents repeated in proportion to their capacity, spread
 * evenly (the engine's smooth weighted rotation: capacities 30 and 10 give A A B A), so any
 * run of consecutive assignments is split in proportion. Capacities are reduced by their
 * greatest common divisor first, so the cycle stays short.
 */
export function capacityRotation(agents: PlannedAgent[]): string[] {
  const divisor = agents.reduce((d, agent) => gcd(d, agent.capacity), 0) || 1;
  let weights = agents.map((agent) => agent.capacity / divisor);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (total > maxSlots)
    weights = weights.map((weight) => Math.max(1, Math.round((weight * maxSlots) / total)));
  return weightedRotation(agents.map((agent, i) => ({ id: agent.agentId, weight: weights[i]! })));
}

/**
 * The agents to try for the assignment numbered `ticket` (0 for the first lead given): the
 * rotation's slot for it, then the following slots' agents, each once. The next agent in the
 * rotation takes a lead its planned agent has no room for, as in the engine's weighted pools.
 */
export function agentsForTicket(rotation: string[], agentCount: number, ticket: number): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  for (let step = 0; step < rotation.length && order.length < agentCount; step++) {
    const agentId = rotation[(ticket + step) % rotation.length]!;
    if (seen.has(agentId)) continue;
    seen.add(agentId);
    order.push(agentId);
  }
  return order;
}
