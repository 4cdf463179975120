import { sign } from 'node:crypto';
import type { SecretValue } from '../tenants/index.js';

export type GoogleSecret = SecretValue<'google'>;

type ServiceAccount = Extract<GoogleSecret, { type: 'service_account' }>;

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Google's service-account grant with domain-wide delegation (OAuth 2.0 JWT bearer, RFC 7523):
 * an RS256 assertion signed with the account's key, naming the user to act as (`sub`),
 * exchanged at the token endpoint for an access token. Done here rather than by
 * google-auth-library's JWT client, whose token URL is fixed, so that the endpoint is the
 * configured one (`GOOGLE_OAUTH_TOKEN_URL`), as for OAuth clients, in staging and in tests.
 */
export async function serviceAccountToken(
  account: ServiceAccount,
  tokenUrl: string,
  scope: string,
  now = Date.now(),
): Promise<{ access_token: string; expiry_date: number }> {
  const issuedAt = Math.floor(now / 1000);
  const unsigned = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url({
    iss: account.clientEmail,
    sub: account.subject,
    scope,
    aud: tokenUrl,
    iat: issuedAt,
    exp: issuedAt + 3600,
  })}`;
  const signature = sign('RSA-SHA256', Buffer.from(unsigned), account.privateKey).toString('base64url');
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: `${unsigned}.${signature}`,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    error?: string;
    error_description?: string;
  };
  if (!response.ok || !body.access_token) {
    const reason =
      [body.error, body.error_description].filter(Boolean).join(': ') || `HTTP ${response.status}`;
    // A plain Error: google-auth-library reads `response.config` from any error carrying a `response`.
    throw new Error(`Service account token refused: ${reason}`);
  }
  return { access_token: body.access_token, expiry_date: now + (body.expires_in ?? 3600) * 1000 };
}
