import { describe, expect, it } from 'vitest';
import {
  InvalidTwilioCallbackError,
  callbackAccountSid,
  parseCallStatusCallback,
  parseDialActionCallback,
  parseRecordingStatusCallback,
  parseVoiceRequest,
} from './twilio/twilio-callbacks.js';

const callSid = 'CA' + 'a'.repeat(32);
const received = new Date('2026-03-01T10:00:00Z');

describe('Twilio callbacks', () => {
  it('reads a completed status callback, keeping unknown parameters out', () => {
    const event = parseCallStatusCallback(
      {
        AccountSid: 'AC' + 'b'.repeat(32),
        CallSid: callSid,
        CallStatus: 'completed',
        SequenceNumber: '3',
        Timestamp: 'Sun, 01 Mar 2026 09:58:31 +0000',
        CallbackSource: 'call-progress-events',
        CallDuration: '42',
        Duration: '1',
        AnsweredBy: 'human',
        SipResponseCode: '200',
        Price: '-0.01750',
        PriceUnit: 'USD',
        SomethingTwilioAddedLater: 'x',
      },
      received,
    );
    expect(event).toEqual({
      callSid,
      status: 'completed',
      sequence: 3,
      at: new Date('2026-03-01T09:58:31Z'),
      durationSeconds: 42,
      answeredBy: 'human',
      sipResponseCode: 200,
      errorCode: null,
      errorMessage: null,
      price: '-0.01750',
      priceUnit: 'USD',
    });
    expect(callbackAccountSid({ AccountSid: 'AC1' })).toBe('AC1');
  });

  it('fills what a minimal callback leaves out (no sequence, arrival time)', () => {
    expect(
      parseCallStatusCallback(
        { CallSid: callSid, CallStatus: 'ringing', Timestamp: 'garbage', ErrorCode: '' },
        received,
      ),
    ).toMatchObject({
      status: 'ringing',
      sequence: null,
      at: received,
      durationSeconds: null,
      errorCode: null,
    });
    expect(
      parseCallStatusCallback(
        { CallSid: callSid, CallStatus: 'failed', ErrorCode: '32009', ErrorMessage: 'x' },
        received,
      ),
    ).toMatchObject({ errorCode: '32009', errorMessage: 'x' });
    // A body parser's array keeps its first value.
    expect(parseCallStatusCallback({ CallSid: [callSid], CallStatus: 'busy' }, received).status).toBe('busy');
  });

  it('refuses what Twilio never sends', () => {
    expect(() => parseCallStatusCallback({ CallSid: callSid, CallStatus: 'answered' }, received)).toThrow(
      InvalidTwilioCallbackError,
    );
    expect(() => parseCallStatusCallback({ CallStatus: 'completed' }, received)).toThrow(/CallSid/);
    expect(() =>
      parseCallStatusCallback({ CallSid: callSid, CallStatus: 'completed', SequenceNumber: '-1' }, received),
    ).toThrow(/SequenceNumber/);
  });

  it('reads the answer webhook request', () => {
    expect(
      parseVoiceRequest({
        CallSid: callSid,
        CallStatus: 'in-progress',
        From: '+14155550100',
        To: '+14155550199',
        Direction: 'outbound-api',
        AnsweredBy: 'machine_start',
      }),
    ).toEqual({
      callSid,
      accountSid: null,
      from: '+14155550100',
      to: '+14155550199',
      callStatus: 'in-progress',
      direction: 'outbound-api',
      answeredBy: 'machine_start',
    });
  });

  it('reads a Dial action callback', () => {
    expect(
      parseDialActionCallback({
        CallSid: callSid,
        CallStatus: 'in-progress',
        DialCallSid: 'CA' + 'c'.repeat(32),
        DialCallStatus: 'completed',
        DialCallDuration: '17',
        RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1',
        RecordingSid: 'RE1',
      }),
    ).toEqual({
      callSid,
      callStatus: 'in-progress',
      dialCallSid: 'CA' + 'c'.repeat(32),
      dialCallStatus: 'completed',
      dialCallDurationSeconds: 17,
      recordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1',
      recordingSid: 'RE1',
    });
    expect(
      parseDialActionCallback({ CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'no-answer' }),
    ).toMatchObject({
      dialCallSid: null,
      dialCallDurationSeconds: null,
    });
    expect(() => parseDialActionCallback({ CallSid: callSid, CallStatus: 'in-progress' })).toThrow(
      /DialCallStatus/,
    );
  });

  it('reads a recording status callback', () => {
    expect(
      parseRecordingStatusCallback({
        AccountSid: 'AC1',
        CallSid: callSid,
        RecordingSid: 'RE' + 'd'.repeat(32),
        RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE' + 'd'.repeat(32),
        RecordingStatus: 'completed',
        RecordingDuration: '17',
        RecordingChannels: '2',
        RecordingSource: 'DialVerb',
        RecordingStartTime: 'Sun, 01 Mar 2026 09:58:00 +0000',
        ErrorCode: '0',
      }),
    ).toEqual({
      callSid,
      recordingSid: 'RE' + 'd'.repeat(32),
      recordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE' + 'd'.repeat(32),
      status: 'completed',
      durationSeconds: 17,
      channels: 2,
      source: 'DialVerb',
      startedAt: new Date('2026-03-01T09:58:00Z'),
      errorCode: null,
    });
    expect(() => parseRecordingStatusCallback({ CallSid: callSid, RecordingStatus: 'completed' })).toThrow(
      /RecordingSid/,
    );
  });
});
