/**
 * How many calls the dialer places per free salesperson. Progressive dialing (ratio 1) places
 * one call per free salesperson, reserved for them. A tenant may allow more (`dialRatio` > 1):
 * then calls are placed ahead of answers, and a lead who answers when nobody is free is
 * abandoned — which the dialer must keep at or under `maxAbandonPercent` of answered calls over
 * a rolling 30 days per campaign. The ratio it uses is bounded twice:
 * - by the campaign's answer rate (calls placed × answer rate ≤ free salespeople: on average no
 *   more answers than people to take them); with too few calls to know the rate (200), it stays 1;
 * - by the abandonment so far, against a target of 80 % of the cap (the calls ringing when the rate
 *   is read still add theirs): full ratio while the rate is under half the target, then lowered in
 *   step as it approaches the target, 1 (progressive) at it, and below 1 past it (`belowOne`).
 */

export interface CampaignHistory {
  /** Dialer calls of the campaign that ended in the window. */
  ended: number;
  /** Of those, answered by a person. */
  answered: number;
  /** Of those answered, abandoned (nobody to take the call). */
  abandoned: number;
}

/** The share of the cap the dialer aims at (the rest is margin for the calls in flight). */
export const targetShareOfCap = 0.8;

/** Ended calls needed before the answer rate is trusted (and over-dialling starts). */
export const minimumHistory = 200;

export function effectiveDialRatio(
  configured: number,
  history: CampaignHistory,
  maxAbandonPercent: number,
): number {
  if (configured <= 1 || history.ended < minimumHistory || history.answered === 0) return 1;
  const answerRate = history.answered / history.ended;
  const ceiling = Math.min(configured, 1 / answerRate);
  if (ceiling <= 1) return 1;
  // Aim below the cap: calls already ringing when the rate is read still add their abandons.
  const target = (maxAbandonPercent / 100) * targetShareOfCap;
  // Pessimistic by one abandon: with few answers a lucky start must not read as room to spare.
  const rate = (history.abandoned + 1) / history.answered;
  if (target <= 0) return 1;
  if (rate >= target) return belowOne(rate, target, maxAbandonPercent / 100);
  const room = Math.min(1, (target - rate) / (target / 2));
  return 1 + (ceiling - 1) * room;
}

/** The lowest ratio: half the free salespeople are kept free to take the answers others miss. */
export const minimumRatio = 0.5;

/**
 * At or past the target even progressive dialing abandons: a reserved salesperson who does not
 * pick up leaves the lead to whoever else is free, and with everyone reserved nobody is. So the
 * dialer then places fewer calls than there are free salespeople (1 at the target, down to half at
 * the cap), keeping the rest free to take those answers.
 */
function belowOne(rate: number, target: number, cap: number): number {
  if (cap <= target) return minimumRatio;
  return Math.max(minimumRatio, 1 - ((rate - target) / (cap - target)) * (1 - minimumRatio));
}

/**
 * Calls to place now: one per free salesperson at ratio 1; else the ratio's share of the free
 * salespeople, less the calls already ringing ahead of an answer.
 */
export function linesToDial(freeAgents: number, ratio: number, unansweredAhead: number): number {
  if (freeAgents <= 0) return 0;
  if (ratio === 1) return freeAgents;
  // Below 1, one call still goes out with one free person (a team of one keeps dialling).
  if (ratio < 1) return Math.max(1, Math.floor(freeAgents * ratio));
  return Math.max(0, Math.floor(freeAgents * ratio) - unansweredAhead);
}
