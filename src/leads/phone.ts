import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { AppError } from '../http/app-error.js';

/** Digits with the usual separators, no `+`: what may be an international number without its `+`. */
const bareDigits = /^[\d\s().-]+$/;

/**
 * E.164 form of `raw`. The one rule of every phone the API takes (lead ingest and PATCH, CSV
 * import, contacts, automation events, WhatsApp senders):
 * 1. read as a number of `defaultCountry` (a `+` prefix or the country's international dialling
 *    prefix names another country); a valid result wins, so a number valid nationally stays national;
 * 2. otherwise, digits without `+` are read as an international number whose country code is
 *    written without `+` (the WhatsApp `wa_id` form, `918143963821` → `+918143963821`);
 * 3. otherwise 400 `validation_failed` naming `field`.
 */
export function normalisePhone(raw: string, defaultCountry: string, field = 'body.phone'): string {
  const national = parsePhoneNumberFromString(raw, defaultCountry.toUpperCase() as CountryCode);
  if (national?.isValid()) return national.number;
  const trimmed = raw.trim();
  if (bareDigits.test(trimmed)) {
    const international = parsePhoneNumberFromString(`+${trimmed.replace(/\D/g, '')}`);
    if (international?.isValid()) return international.number;
  }
  throw AppError.invalidFields([
    {
      path: field,
      message: `Not a valid phone number for ${defaultCountry}, nor an international number with its country code: ${raw}`,
    },
  ]);
}
