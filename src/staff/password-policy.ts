import { AppError } from '../http/app-error.js';

/** The shortest password a user may set (NIST SP 800-63B asks for at least 8; we ask for 10). */
export const passwordMinLength = 10;
/** Argon2 hashes any length; the cap only stops a megabyte "password" from costing a hash. */
export const passwordMaxLength = 1024;

/**
 * Refuses (400 `validation_failed` at `path`) a password a user may not set: too short or too
 * long. Every place that sets a password calls this one function (users API, invitation
 * acceptance, reset, change).
 */
export function checkPasswordPolicy(password: string, path = 'body.password'): void {
  if (password.length < passwordMinLength) {
    throw AppError.invalidFields([
      { path, message: `A password needs at least ${passwordMinLength} characters` },
    ]);
  }
  if (password.length > passwordMaxLength) {
    throw AppError.invalidFields([
      { path, message: `A password has at most ${passwordMaxLength} characters` },
    ]);
  }
}
