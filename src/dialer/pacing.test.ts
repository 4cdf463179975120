import { describe, expect, it } from 'vitest';
import { effectiveDialRatio, linesToDial, minimumHistory, minimumRatio } from './pacing.js';

describe('dialer pacing', () => {
  const answered = (ended: number, answerRate: number, abandonRate: number) => {
    const a = Math.round(ended * answerRate);
    return { ended, answered: a, abandoned: Math.round(a * abandonRate) };
  };

  it('stays progressive at ratio 1, and until the campaign has enough history', () => {
    expect(effectiveDialRatio(1, answered(100_000, 0.3, 0), 3)).toBe(1);
    expect(effectiveDialRatio(2.5, answered(minimumHistory - 1, 0.3, 0), 3)).toBe(1);
  });

  it('never places more calls than the answer rate says free people can take', () => {
    expect(effectiveDialRatio(3, answered(100_000, 0.5, 0), 3)).toBeCloseTo(2);
    expect(effectiveDialRatio(3, answered(100_000, 1, 0), 3)).toBe(1);
    expect(effectiveDialRatio(1.5, answered(100_000, 0.2, 0), 3)).toBeCloseTo(1.5);
  });

  it('lowers the ratio as abandonment approaches the cap, and is progressive at it', () => {
    const full = effectiveDialRatio(3, answered(100_000, 0.25, 0.01), 3);
    const nearer = effectiveDialRatio(3, answered(100_000, 0.25, 0.02), 3);
    // 2.4 % is the target (80 % of the 3 % cap): progressive from there, before the cap itself.
    const at = effectiveDialRatio(3, answered(100_000, 0.25, 0.024), 3);
    expect(full).toBeCloseTo(3);
    expect(nearer).toBeLessThan(full);
    expect(nearer).toBeGreaterThan(1);
    expect(at).toBeCloseTo(1, 2);
  });

  it('past the target keeps some salespeople free to take the answers others miss, down to half at the cap', () => {
    const between = effectiveDialRatio(3, answered(100_000, 0.25, 0.027), 3);
    expect(between).toBeLessThan(1);
    expect(between).toBeGreaterThan(minimumRatio);
    expect(effectiveDialRatio(3, answered(100_000, 0.25, 0.03), 3)).toBe(minimumRatio);
    expect(effectiveDialRatio(3, answered(100_000, 0.25, 0.05), 3)).toBe(minimumRatio);
    // Progressive tenants are not paced.
    expect(effectiveDialRatio(1, answered(100_000, 0.25, 0.05), 3)).toBe(1);
    expect(linesToDial(10, 0.5, 0)).toBe(5);
    expect(linesToDial(1, 0.5, 0)).toBe(1);
  });

  it('places one call per free salesperson, or the ratio share less the calls ringing ahead', () => {
    expect(linesToDial(0, 2, 0)).toBe(0);
    expect(linesToDial(4, 1, 3)).toBe(4);
    expect(linesToDial(4, 2, 3)).toBe(5);
    expect(linesToDial(4, 1.5, 9)).toBe(0);
  });
});
