import { hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { z } from 'zod';
import { AppError } from '../http/app-error.js';

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

/** The password policy (NIST SP 800-63B): a length, and not one of the most common passwords. */
export const passwordPolicy = { minLength: 10, maxLength: 256 } as const;

/**
 * zxcvbn-ts's list of the ~50,000 most common passwords (from leaked-password corpora), kept only
 * where long enough to pass the length rule, lower-cased: built once, on first use.
 */
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  return (common ??= new Set(
    dictionary['passwords-common']
      .filter((word) => word.length >= passwordPolicy.minLength)
      .map((word) => word.toLowerCase()),
  ));
}

/** Why `password` may not be set, or null when it may. */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < passwordPolicy.minLength) {
    return `The password must be at least ${passwordPolicy.minLength} characters long`;
  }
  if (length > passwordPolicy.maxLength) {
    return `The password must be at most ${passwordPolicy.maxLength} characters long`;
  }
  if (commonPasswords().has(password.toLowerCase())) {
    return 'This password is one of the most common passwords: choose another';
  }
  return null;
}

/** A new password in a request body: the policy's refusal is a 400 `validation_failed` naming the field. */
export const newPasswordSchema = z
  .string()
  .max(1024)
  .superRefine((password, ctx) => {
    const problem = passwordProblem(password);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe(
    `At least ${passwordPolicy.minLength} and at most ${passwordPolicy.maxLength} characters, not one of the most common passwords`,
  );

/** For code that sets a password outside a request schema: 400 naming `field` when the policy refuses it. */
export function assertPasswordPolicy(password: string, field = 'body.password'): void {
  const problem = passwordProblem(password);
  if (problem) throw AppError.invalidFields([{ path: field, message: problem }]);
}
