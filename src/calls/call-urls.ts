/** The provider's callbacks of one call; each is signed by the provider and verified on arrival. */
export type CallbackKind = 'answer' | 'status' | 'dial' | 'bridge' | 'recording';

export const telephonyWebhookBase = '/api/telephony/twilio';

/**
 * Where the provider calls back about `callId`: under `PUBLIC_BASE_URL`, which is also the URL the
 * provider's signature covers (a proxy in front changes what the app sees, not what was signed).
 */
export function callbackUrl(
  publicBaseUrl: string,
  clientCode: string,
  callId: string,
  kind: CallbackKind,
): string {
  return `${publicBaseUrl}${telephonyWebhookBase}/${clientCode}/calls/${callId}/${kind}`;
}
