import { AppError } from '../http/app-error.js';

export const passwordMinLength = 10;

/**
 * The password policy for every account (tenant users and platform staff): at least
 * `passwordMinLength` characters. A 400 `validation_failed` naming `body.password` otherwise.
 */
export function checkPasswordPolicy(password: string): void {
  if ([...password].length < passwordMinLength) {
    throw AppError.invalidFields([
      { path: 'body.password', message: `must be at least ${passwordMinLength} characters` },
    ]);
  }
}
