import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import type { ApiRouter } from '../../http/api-router.js';
import { AppError } from '../../http/app-error.js';
import {
  InvalidTwilioCallbackError,
  parseCallStatusCallback,
  parseDialActionCallback,
  parseRecordingStatusCallback,
  parseVoiceRequest,
  twilioSignatureHeader,
  twimlContentType,
  verifyTwilioSignature,
  type TwilioParams,
} from '../../telephony/index.js';
import { answerCall, recordBridgeStatus, recordDialResult } from '../bridge-call.js';
import { recordStatusEvent } from '../call-status.js';
import { receiveCall } from '../inbound-call.js';
import { telephonyWebhookBase } from '../call-urls.js';
import { recordRecording } from '../recordings/recording-callback.js';
import { TwilioTenants } from './twilio-tenants.js';

const params = z.object({
  clientCode: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{1,39}$/),
  callId: z.uuid(),
  kind: z.enum(['answer', 'status', 'dial', 'bridge', 'recording']),
});

/** The form parameters of a Twilio webhook (a repeated name keeps every value). */
function formParams(body: unknown): TwilioParams {
  if (!Buffer.isBuffer(body)) return {};
  const out: TwilioParams = {};
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

function sendTwiml(res: ServerResponse, twiml: string): void {
  res.writeHead(200, { 'content-type': twimlContentType, 'content-length': Buffer.byteLength(twiml) });
  res.end(twiml);
}

function sendEmpty(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/**
 * Twilio's callbacks about one call: `answer` (instructions once answered), `status` (the
 * call's progress), `bridge` (the salesperson's leg), `dial` (the <Dial> is over), `recording`.
 * Each must carry a valid `X-Twilio-Signature` by the tenant's auth token over the URL under
 * `PUBLIC_BASE_URL` and the POST parameters; else 403 and nothing changes. Served as a hot route:
 * the provider calls at the rate calls progress.
 */
export function registerTwilioWebhookRoutes(router: ApiRouter, services: AppServices): void {
  const tenants = new TwilioTenants(services);
  /** The tenant whose auth token signed this request, with its form parameters; else 403. */
  const verified = async (clientCode: string, req: IncomingMessage & { body?: unknown }) => {
    const tenant = await tenants.find(clientCode.toLowerCase());
    const form = formParams(req.body);
    const signed =
      tenant !== null &&
      verifyTwilioSignature({
        authToken: tenant.authToken,
        url: `${services.config.publicBaseUrl}${req.url ?? ''}`,
        params: form,
        signature: req.headers[twilioSignatureHeader],
      });
    if (!signed || !tenant) throw new AppError('forbidden', 'Missing or invalid X-Twilio-Signature');
    return { handle: await services.connections.resolve(tenant.tenant), form };
  };
  router.route({
    method: 'post',
    path: `${telephonyWebhookBase}/:clientCode/voice`,
    summary:
      "A call to one of the tenant's numbers (the number's voice URL): rings the lead's owner or a free salesperson",
    tag: 'Telephony',
    params: z.object({ clientCode: params.shape.clientCode }),
    status: 200,
    errors: { 403: 'Missing or invalid X-Twilio-Signature' },
    rawBody: '64kb',
    hot: true,
    handler: async ({ params: { clientCode }, req, res }) => {
      const { handle, form } = await verified(clientCode, req);
      const voice = parseOr400(() => parseVoiceRequest(form));
      if (!voice.from || !voice.to) throw new AppError('validation_failed', 'From and To are required');
      return sendTwiml(
        res,
        await receiveCall(services, handle, {
          callSid: voice.callSid,
          from: voice.from,
          to: voice.to,
          at: new Date(),
        }),
      );
    },
  });
  router.route({
    method: 'post',
    path: `${telephonyWebhookBase}/:clientCode/calls/:callId/:kind`,
    summary: "Twilio's signed voice callbacks of a call (answer → TwiML; status, bridge, dial, recording)",
    tag: 'Telephony',
    params,
    status: 200,
    errors: { 403: 'Missing or invalid X-Twilio-Signature', 404: 'No such tenant' },
    rawBody: '64kb',
    hot: true,
    handler: async ({ params: { clientCode, callId, kind }, req, res }) => {
      const { handle, form } = await verified(clientCode, req);
      const now = new Date();
      return parseOr400(async () => {
        switch (kind) {
          case 'answer': {
            const voice = parseVoiceRequest(form);
            return sendTwiml(
              res,
              await answerCall(services, handle, callId, {
                answeredBy: voice.answeredBy,
                callSid: voice.callSid,
                at: now,
              }),
            );
          }
          case 'status':
            await recordStatusEvent(services, handle, callId, parseCallStatusCallback(form, now));
            return sendEmpty(res);
          case 'bridge': {
            const leg = parseCallStatusCallback(form, now);
            await recordBridgeStatus(services, handle, callId, {
              callSid: leg.callSid,
              status: leg.status,
              at: leg.at,
            });
            return sendEmpty(res);
          }
          case 'dial': {
            const dial = parseDialActionCallback(form);
            return sendTwiml(
              res,
              await recordDialResult(services, handle, callId, {
                dialCallSid: dial.dialCallSid,
                dialCallStatus: dial.dialCallStatus,
                durationSeconds: dial.dialCallDurationSeconds,
                at: now,
              }),
            );
          }
          case 'recording':
            await recordRecording(services, handle, callId, parseRecordingStatusCallback(form));
            return sendEmpty(res);
        }
      });
    },
  });
}

/** A callback missing what Twilio always sends is a bad request (400), not our failure. */
function parseOr400<T>(read: () => T): T {
  try {
    const result = read();
    return (
      result instanceof Promise
        ? result.catch((error: unknown) => {
            throw error instanceof InvalidTwilioCallbackError
              ? new AppError('validation_failed', error.message)
              : error;
          })
        : result
    ) as T;
  } catch (error) {
    throw error instanceof InvalidTwilioCallbackError
      ? new AppError('validation_failed', error.message)
      : error;
  }
}
