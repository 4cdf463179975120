import twilio from 'twilio';

const { VoiceResponse } = twilio.twiml;

export interface DialTwimlOptions {
  /** E.164 caller id the dialled party sees (one of the tenant's). */
  callerId: string;
  /** Seconds to let the dialled party ring. */
  timeoutSeconds: number;
  /** Record both legs from the answer (`record-from-answer-dual`). */
  record: boolean;
  /** Receives the Dial's outcome (DialCallStatus…), POST. */
  dialActionUrl: string;
  /** Receives the recording once ready, POST (needed when `record`). */
  recordingStatusUrl?: string;
  /**
   * Receives the dialled leg's progress (`<Number statusCallback>`, events answered and completed):
   * the moment the dialled party picks up, which the Dial's action (at its end) tells too late.
   */
  bridgeStatusUrl?: string;
}

function dialTo(number: string, options: DialTwimlOptions): string {
  const response = new VoiceResponse();
  const dial = response.dial({
    action: options.dialActionUrl,
    method: 'POST',
    callerId: options.callerId,
    timeout: options.timeoutSeconds,
    ...(options.record
      ? {
          record: 'record-from-answer-dual' as const,
          ...(options.recordingStatusUrl
            ? {
                recordingStatusCallback: options.recordingStatusUrl,
                recordingStatusCallbackMethod: 'POST' as const,
              }
            : {}),
        }
      : {}),
  });
  dial.number(
    options.bridgeStatusUrl
      ? {
          statusCallback: options.bridgeStatusUrl,
          statusCallbackEvent: ['answered', 'completed'],
          statusCallbackMethod: 'POST',
        }
      : {},
    number,
  );
  return response.toString();
}

/** The answer webhook's TwiML for a lead who answered: bridge to the salesperson's phone. */
export function bridgeTwiml(options: DialTwimlOptions & { agentNumber: string }): string {
  return dialTo(options.agentNumber, options);
}

/** Click-to-call: the salesperson answered first; now dial the lead. */
export function dialLeadTwiml(options: DialTwimlOptions & { leadNumber: string }): string {
  return dialTo(options.leadNumber, options);
}

/** A short message, then hang up (e.g. no salesperson free: the call is abandoned). */
export function sayAndHangUp(message: string): string {
  const response = new VoiceResponse();
  response.say(message);
  response.hangup();
  return response.toString();
}

export function hangUpTwiml(): string {
  const response = new VoiceResponse();
  response.hangup();
  return response.toString();
}

/** TwiML is XML: answer it with this content type. */
export const twimlContentType = 'text/xml; charset=utf-8';
