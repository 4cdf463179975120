import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { callbackUrl, twilioSignature, verifyTwilioSignature } from './twilio/twilio-signature.js';

// Twilio's documented example (and the twilio-node library's own test vector).
const authToken = '12345';
const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const params = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const signature = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';

describe('verifyTwilioSignature', () => {
  it('accepts the documented example', () => {
    expect(verifyTwilioSignature({ authToken, url, params, signature })).toBe(true);
    // The same digest computed by hand: HMAC-SHA1(token, url + sorted name/value pairs), base64.
    const data =
      url +
      Object.keys(params)
        .sort()
        .map((name) => name + params[name as keyof typeof params])
        .join('');
    expect(createHmac('sha1', authToken).update(data).digest('base64')).toBe(signature);
    expect(twilioSignature(authToken, url, params)).toBe(signature);
  });

  it('refuses a wrong token, an altered parameter, an added one, an altered URL, a missing header', () => {
    expect(verifyTwilioSignature({ authToken: '12346', url, params, signature })).toBe(false);
    expect(verifyTwilioSignature({ authToken, url, params: { ...params, Digits: '1235' }, signature })).toBe(
      false,
    );
    expect(
      verifyTwilioSignature({ authToken, url, params: { ...params, CallStatus: 'completed' }, signature }),
    ).toBe(false);
    expect(verifyTwilioSignature({ authToken, url: url.replace('foo=1', 'foo=2'), params, signature })).toBe(
      false,
    );
    expect(verifyTwilioSignature({ authToken, url: url.replace('https', 'http'), params, signature })).toBe(
      false,
    );
    expect(
      verifyTwilioSignature({
        authToken,
        url: 'https://evil.example/myapp.php?foo=1&bar=2',
        params,
        signature,
      }),
    ).toBe(false);
    expect(verifyTwilioSignature({ authToken, url, params, signature: undefined })).toBe(false);
    expect(verifyTwilioSignature({ authToken, url, params, signature: '' })).toBe(false);
    expect(verifyTwilioSignature({ authToken: '', url, params, signature })).toBe(false);
    expect(verifyTwilioSignature({ authToken, url: 'not a url', params, signature })).toBe(false);
  });

  it('takes the first value of a repeated header and ignores undefined parameters', () => {
    expect(
      verifyTwilioSignature({
        authToken,
        url,
        params: { ...params, Extra: undefined },
        signature: [signature],
      }),
    ).toBe(true);
  });

  it('callbackUrl joins the public base URL and a path', () => {
    expect(callbackUrl('https://crm.example.com/', '/api/telephony/twilio/status')).toBe(
      'https://crm.example.com/api/telephony/twilio/status',
    );
    expect(callbackUrl('https://crm.example.com', 'api/x?call=1')).toBe(
      'https://crm.example.com/api/x?call=1',
    );
  });
});
