import { google, type calendar_v3 } from 'googleapis';
import type { AppServices } from '../app/services.js';
import { serviceAccountToken, type GoogleSecret } from './service-account-token.js';

export type { GoogleSecret };

const calendarScope = 'https://www.googleapis.com/auth/calendar.events';

/** A Calendar v3 client for the tenant's Google credentials (OAuth refresh token or delegated service account). */
export function calendarClient(
  services: Pick<AppServices, 'config'>,
  secret: GoogleSecret,
): calendar_v3.Calendar {
  const { apiRootUrl, oauthTokenUrl } = services.config.google;
  let auth;
  if (secret.type === 'oauth') {
    auth = new google.auth.OAuth2({
      clientId: secret.clientId,
      clientSecret: secret.clientSecret,
      endpoints: { oauth2TokenUrl: oauthTokenUrl },
    });
    auth.setCredentials({ refresh_token: secret.refreshToken });
  } else {
    auth = new google.auth.OAuth2();
    // Called for the first token and again whenever it is about to expire.
    auth.refreshHandler = () => serviceAccountToken(secret, oauthTokenUrl, calendarScope);
  }
  return google.calendar({ version: 'v3', auth, rootUrl: apiRootUrl });
}

/** Calendar event ids use base32hex (0-9, a-v): a uuid's hex digits qualify. */
export function eventIdOf(meetingId: string): string {
  return meetingId.replace(/-/g, '');
}
