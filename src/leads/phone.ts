import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { AppError } from '../http/app-error.js';

/** E.164 form of `raw`, read as a number of `defaultCountry` unless it carries its own prefix. */
export function normalisePhone(raw: string, defaultCountry: string, field = 'body.phone'): string {
  const parsed = parsePhoneNumberFromString(raw, defaultCountry.toUpperCase() as CountryCode);
  if (!parsed?.isValid()) {
    throw AppError.invalidFields([
      { path: field, message: `Not a valid phone number for ${defaultCountry}: ${raw}` },
    ]);
  }
  return parsed.number;
}
