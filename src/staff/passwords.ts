import { hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id` (a const enum the isolated-module build cannot read). */
const argon2id = 2;

/**
 * Argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane). A stored hash made with weaker
 * parameters is replaced at the next successful login (`needsRehash`).
 */
export const argon2Parameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: argon2id, ...argon2Parameters });
}

/** Whether `password` matches `stored`; a malformed stored hash is a mismatch, not an error. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** Whether a stored hash is not Argon2id at (at least) the current parameters. */
export function needsRehash(stored: string): boolean {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
  if (!match) return true;
  const [memory, time, lanes] = match.slice(1).map(Number) as [number, number, number];
  return (
    memory < argon2Parameters.memoryCost ||
    time < argon2Parameters.timeCost ||
    lanes < argon2Parameters.parallelism
  );
}

/**
 * A hash of nothing anyone knows: verified against when the email is unknown, so an unknown
 * email costs the same time as a wrong password.
 */
let dummy: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  return (dummy ??= hashPassword(`dummy-${Math.random()}`));
}
