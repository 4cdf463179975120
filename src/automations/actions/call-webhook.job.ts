import { fetch, type Response } from 'undici';
import type { AppServices } from '../../app/services.js';
import type { JobContext } from '../../queue/job-types.js';
import { PermanentJobError, RetryLaterError } from '../../queue/job-types.js';
import type { CallWebhookPayload } from './external-actions.js';
import {
  addressRefusal,
  internalUrlProblem,
  publicOnlyDispatcher,
  webhookAddressNotAllowed,
} from './webhook-address.js';
import { signatureHeader, signBody, webhookSigningSecret } from './webhook-signing.js';

/** Statuses worth another attempt besides 5xx: timeout and rate limit. */
const retryable = new Set([408, 425, 429]);

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * POSTs the run's event to the tenant's URL, signed with HMAC-SHA256 over the exact bytes
 * sent. 2xx succeeds; 4xx is permanent (the receiver refuses it) except 408/425/429; 5xx,
 * timeouts and network errors are retried by the queue (429/503 honour Retry-After).
 * Unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is set, an internal address (the URL's literal, or
 * any address its name resolves to when connecting) is refused permanently.
 */
export async function callWebhook(
  ctx: JobContext<CallWebhookPayload, Pick<AppServices, 'config'>>,
): Promise<{ status: number }> {
  const { url, headers, timeoutMs, body } = ctx.job.payload;
  const guarded = !ctx.services.config.webhooks.allowPrivateNetworks;
  const literal = guarded ? internalUrlProblem(url) : undefined;
  if (literal) throw new PermanentJobError(`Webhook ${url} refused: ${literal}`, webhookAddressNotAllowed);
  const raw = JSON.stringify(body);
  const secret = await webhookSigningSecret(ctx.handle.db);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'user-agent': 'Switchyard-Automations/1',
        [signatureHeader]: signBody(secret, raw),
        'x-switchyard-delivery': ctx.job.id,
        'x-switchyard-attempt': String(ctx.job.attempt),
      },
      body: raw,
      redirect: 'manual',
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
      ...(guarded ? { dispatcher: publicOnlyDispatcher } : {}),
    });
  } catch (error) {
    const refused = addressRefusal(error);
    if (refused) throw refused;
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `timed out after ${timeoutMs} ms`
        : String(error);
    throw new Error(`Webhook ${url} failed: ${reason}`, { cause: error });
  }
  await response.body?.cancel();
  if (response.ok) return { status: response.status };
  const delay = retryAfterMs(response.headers.get('retry-after'));
  if (response.status >= 500 || retryable.has(response.status)) {
    const message = `Webhook ${url} answered ${response.status}`;
    throw delay === undefined ? new Error(message) : new RetryLaterError(message, delay);
  }
  throw new PermanentJobError(
    `Webhook ${url} refused the delivery with ${response.status}`,
    'webhook_rejected',
  );
}
