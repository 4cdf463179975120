import { describe, expect, it } from 'vitest';
import { agentsForTicket, capacityRotation } from './distribution.js';

const agent = (agentId: string, capacity: number) => ({ agentId, name: agentId, capacity });

/** How many of `tickets` consecutive assignments each agent gets when every agent has room. */
function shares(rotation: string[], tickets: number) {
  const counts: Record<string, number> = {};
  for (let ticket = 0; ticket < tickets; ticket++) {
    const first = rotation[ticket % rotation.length]!;
    counts[first] = (counts[first] ?? 0) + 1;
  }
  return counts;
}

describe('cohort distribution plan', () => {
  it('gives each agent its capacity share of any run of leads, spread evenly', () => {
    const rotation = capacityRotation([agent('a', 30), agent('b', 10)]);
    // Reduced by the common divisor: one cycle is 4 slots, A A B A.
    expect(rotation).toEqual(['a', 'a', 'b', 'a']);
    expect(shares(rotation, 40)).toEqual({ a: 30, b: 10 });
    expect(shares(rotation, 7)).toEqual({ a: 5, b: 2 });
    expect(shares(capacityRotation([agent('a', 5), agent('b', 3), agent('c', 2)]), 100)).toEqual({
      a: 50,
      b: 30,
      c: 20,
    });
  });

  it('keeps a rotation of huge capacities short, in proportion within a slot', () => {
    const rotation = capacityRotation([agent('a', 99_991), agent('b', 49_999), agent('c', 7)]);
    expect(rotation.length).toBeLessThanOrEqual(10_001);
    const counts = shares(rotation, rotation.length);
    expect(counts.a! / counts.b!).toBeCloseTo(2, 1);
    expect(counts.c).toBe(1);
  });

  it('tries the planned agent first, then the next agents of the rotation, each once', () => {
    const rotation = ['a', 'a', 'b', 'a', 'c'];
    expect(agentsForTicket(rotation, 3, 0)).toEqual(['a', 'b', 'c']);
    expect(agentsForTicket(rotation, 3, 2)).toEqual(['b', 'a', 'c']);
    expect(agentsForTicket(rotation, 3, 4)).toEqual(['c', 'a', 'b']);
    expect(agentsForTicket(rotation, 3, 7)).toEqual(['b', 'a', 'c']);
  });
});
