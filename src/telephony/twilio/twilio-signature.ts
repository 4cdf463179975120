import twilio from 'twilio';

/** The header Twilio signs its webhooks with. */
export const twilioSignatureHeader = 'x-twilio-signature';

/** Form parameters as a body parser hands them over (a repeated name gives an array). */
export type TwilioParams = Record<string, string | string[] | undefined>;

/**
 * Whether a webhook came from Twilio: `signature` (the `X-Twilio-Signature` header) must be the
 * HMAC-SHA1, keyed with the account's auth token, of the full URL Twilio requested followed by
 * the POST parameters sorted by name (Twilio's library computes it). `url` is
 * `config.publicBaseUrl + req.originalUrl`: the URL as Twilio saw it, not as a proxy forwarded it.
 * A missing or empty signature is never valid.
 */
export function verifyTwilioSignature(input: {
  authToken: string;
  url: string;
  params: TwilioParams;
  signature: string | string[] | null | undefined;
}): boolean {
  const signature = Array.isArray(input.signature) ? input.signature[0] : input.signature;
  if (!signature || !input.authToken) return false;
  const params: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(input.params)) if (value !== undefined) params[name] = value;
  try {
    return twilio.validateRequest(input.authToken, signature, input.url, params);
  } catch {
    // An unparsable URL: nothing Twilio could have signed.
    return false;
  }
}

/** The signature Twilio would send for this URL and these parameters (the fake server signs with it). */
export function twilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string | string[]>,
): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/** A webhook URL Twilio is given: the public base URL (no trailing slash) and the path. */
export function callbackUrl(publicBaseUrl: string, path: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
