import type { AppServices } from '../app/services.js';
import { recordChannelHealth } from '../channels/index.js';
import { AppError } from '../http/app-error.js';
import { PermanentJobError } from '../queue/job-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { SecretValue } from '../tenants/index.js';
import {
  TelephonyError,
  type PlaceCallRequest,
  type PlacedCall,
  type ProviderCallSnapshot,
  type TelephonyProvider,
} from './telephony-provider.js';
import { TwilioRestClient } from './twilio/twilio-rest-client.js';

export type TwilioSecret = SecretValue<'twilio'>;

export interface TelephonyChannel {
  /** Places and ends calls; `placeCall` records the channel's health (`GET /api/crm/channels`). */
  provider: TelephonyProvider;
  /** The bare REST client (also `fetchCall`), recording no health. */
  client: TwilioRestClient;
  secret: TwilioSecret;
  accountSid: string;
  /** Numbers the tenant calls from (E.164). */
  callerIds: string[];
  /** Verifies the tenant's webhooks (`verifyTwilioSignature`). */
  authToken: string;
  /** The REST base URL in use: the secret's `apiBaseUrl`, else TWILIO_API_URL. */
  apiBaseUrl: string;
}

type ChannelServices = Pick<AppServices, 'secrets' | 'config' | 'logger'>;
type ChannelHandle = Pick<TenantHandle, 'tenant' | 'db' | 'memo'>;

/** Memo key: this process recorded the channel healthy within the memo's age (60 s). */
const healthyRecordedKey = 'twilio-healthy-recorded';

/** Refusals that say the channel itself is broken (credentials, caller id, Twilio down). */
const unhealthyKinds = new Set(['unauthorized', 'invalid_caller_id', 'unavailable']);

/**
 * Records the `twilio` channel's health around `placeCall`: healthy after a call Twilio accepted,
 * unhealthy (with Twilio's message) after a refusal that is the channel's fault. A refusal that
 * is one number's (invalid_number, rejected) or a rate limit says nothing about the channel. A
 * failure to record is logged, never thrown: the call was placed (or refused) all the same.
 * Healthy is written at most once a minute per tenant and process (the dialer places calls by the
 * thousand; each wrote the row), unhealthy at once and forgetting that.
 */
class HealthRecordingProvider implements TelephonyProvider {
  readonly name: string;
  constructor(
    private readonly inner: TelephonyProvider,
    private readonly services: ChannelServices,
    private readonly handle: ChannelHandle,
  ) {
    this.name = inner.name;
  }

  async placeCall(request: PlaceCallRequest): Promise<PlacedCall> {
    let placed: PlacedCall;
    try {
      placed = await this.inner.placeCall(request);
    } catch (error) {
      if (error instanceof TelephonyError && unhealthyKinds.has(error.kind)) {
        this.handle.memo.clear(healthyRecordedKey);
        await this.record(() => recordChannelHealth(this.handle.db, 'twilio', false, error.message));
      }
      throw error;
    }
    await this.record(() =>
      this.handle.memo.get(healthyRecordedKey, () => recordChannelHealth(this.handle.db, 'twilio', true)),
    );
    return placed;
  }

  endCall(callSid: string): Promise<void> {
    return this.inner.endCall(callSid);
  }

  fetchCall(callSid: string): Promise<ProviderCallSnapshot> {
    return this.inner.fetchCall(callSid);
  }

  downloadRecording(recordingUrl: string): Promise<{ body: Buffer; contentType: string }> {
    return this.inner.downloadRecording(recordingUrl);
  }

  private async record(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.services.logger.warn(
        { err: error, tenantId: this.handle.tenant.id },
        'could not record the twilio channel health',
      );
    }
  }
}

/** The tenant's telephony channel (Twilio), or null when it has no `twilio` secret. */
export async function loadTelephony(
  services: ChannelServices,
  handle: ChannelHandle,
): Promise<TelephonyChannel | null> {
  const secret = await services.secrets.read(handle.tenant.id, 'twilio');
  if (!secret) return null;
  const apiBaseUrl = (secret.apiBaseUrl ?? services.config.telephony.twilioApiUrl).replace(/\/+$/, '');
  const client = new TwilioRestClient({
    baseUrl: apiBaseUrl,
    accountSid: secret.accountSid,
    authToken: secret.authToken,
  });
  return {
    provider: new HealthRecordingProvider(client, services, handle),
    client,
    secret,
    accountSid: secret.accountSid,
    callerIds: [...secret.callerIds],
    authToken: secret.authToken,
    apiBaseUrl,
  };
}

/** For routes: 409 `channel_not_configured` when the tenant has no `twilio` secret. */
export async function requireTelephony(
  services: ChannelServices,
  handle: ChannelHandle,
): Promise<TelephonyChannel> {
  const channel = await loadTelephony(services, handle);
  if (!channel) throw new AppError('channel_not_configured', 'Twilio is not configured for this tenant');
  return channel;
}

/** For jobs: a tenant without Twilio cannot be helped by retrying (PermanentJobError `not_configured`). */
export async function requireTelephonyForJob(
  services: ChannelServices,
  handle: ChannelHandle,
): Promise<TelephonyChannel> {
  const channel = await loadTelephony(services, handle);
  if (!channel) throw new PermanentJobError('Twilio is not configured for this tenant', 'not_configured');
  return channel;
}
