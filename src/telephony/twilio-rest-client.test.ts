import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelephonyError } from './telephony-provider.js';
import { FakeTwilio, newSid } from './testing/fake-twilio.js';
import { TwilioRestClient } from './twilio/twilio-rest-client.js';

const callerId = '+14155550100';
let fake: FakeTwilio;
let client: TwilioRestClient;

beforeAll(async () => {
  fake = await new FakeTwilio({
    accounts: [{ accountSid: newSid('AC'), authToken: 'token-1', callerIds: [callerId] }],
    mode: 'manual',
  }).start();
  client = new TwilioRestClient({
    baseUrl: `${fake.baseUrl}/`,
    accountSid: fake.account.accountSid,
    authToken: 'token-1',
  });
});
afterAll(() => fake.close());

const request = (to: string, extra: { machineDetection?: boolean } = {}) => ({
  to,
  from: callerId,
  answerUrl: 'http://127.0.0.1:1/answer?call=1',
  statusCallbackUrl: 'http://127.0.0.1:1/status?call=1',
  timeoutSeconds: 30,
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<TelephonyError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TelephonyError);
  return error as TelephonyError;
}

describe('TwilioRestClient', () => {
  it('creates a call with the documented form fields and basic auth', async () => {
    fake.script('+14155550101', { outcome: 'busy' });
    const placed = await client.placeCall(request('+14155550101', { machineDetection: true }));
    expect(placed.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(placed.status).toBe('queued');
    const sent = fake.requests.at(-1)!;
    expect(sent).toMatchObject({
      method: 'POST',
      path: `/2010-04-01/Accounts/${fake.account.accountSid}/Calls.json`,
      accountSid: fake.account.accountSid,
      status: 201,
    });
    expect(sent.form).toEqual({
      To: '+14155550101',
      From: callerId,
      Url: 'http://127.0.0.1:1/answer?call=1',
      Method: 'POST',
      StatusCallback: 'http://127.0.0.1:1/status?call=1',
      StatusCallbackMethod: 'POST',
      StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      Timeout: '30',
      MachineDetection: 'Enable',
    });
    await client.placeCall(request('+14155550101'));
    expect(fake.requests.at(-1)!.form.MachineDetection).toBeUndefined();
    await fake.idle();
    const fetched = await client.fetchCall(placed.callSid);
    expect(fetched).toMatchObject({
      callSid: placed.callSid,
      status: 'busy',
      to: '+14155550101',
      durationSeconds: 0,
    });
    await fake.deliver();
  });

  it('maps every refusal to its kind', async () => {
    fake.script('+14155550102', { errorCode: 21211 });
    expect(await refusal(client.placeCall(request('+14155550102')))).toMatchObject({
      kind: 'invalid_number',
      providerCode: 21211,
      message: "Invalid 'To' Phone Number: +14155550102 (21211)",
    });
    expect((await refusal(client.placeCall(request('12345')))).kind).toBe('invalid_number');
    expect(
      await refusal(client.placeCall({ ...request('+14155550103'), from: '+14155550999' })),
    ).toMatchObject({ kind: 'invalid_caller_id', providerCode: 21210 });
    fake.failNext(1, { retryAfterSeconds: 12 });
    expect(await refusal(client.placeCall(request('+14155550103')))).toMatchObject({
      kind: 'rate_limited',
      providerCode: 20429,
      retryAfterMs: 12_000,
    });
    fake.failNext(1, { code: 20500 });
    expect(await refusal(client.placeCall(request('+14155550103')))).toMatchObject({
      kind: 'unavailable',
      retryable: true,
    });
    fake.failNext(1, { code: 21205 });
    expect((await refusal(client.placeCall(request('+14155550103')))).kind).toBe('rejected');
    const wrongToken = new TwilioRestClient({
      baseUrl: fake.baseUrl,
      accountSid: fake.account.accountSid,
      authToken: 'nope',
    });
    expect(await refusal(wrongToken.placeCall(request('+14155550103')))).toMatchObject({
      kind: 'unauthorized',
      providerCode: 20003,
    });
    expect(fake.requests.at(-1)).toMatchObject({ accountSid: null, status: 401 });
  });

  it('is unavailable when Twilio cannot be reached, does not answer in time, or answers no JSON', async () => {
    const silent: Server = createServer(() => {});
    const html: Server = createServer((_req, res) =>
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>'),
    );
    await Promise.all(
      [silent, html].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))),
    );
    const at = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    try {
      const slow = new TwilioRestClient({
        baseUrl: at(silent),
        accountSid: 'AC1',
        authToken: 't',
        timeoutMs: 50,
      });
      expect(await refusal(slow.placeCall(request('+14155550104')))).toMatchObject({
        kind: 'unavailable',
        message: 'Twilio did not answer placing a call in time',
      });
      const gateway = new TwilioRestClient({ baseUrl: at(html), accountSid: 'AC1', authToken: 't' });
      expect(await refusal(gateway.placeCall(request('+14155550104')))).toMatchObject({
        kind: 'unavailable',
        providerCode: null,
      });
      const closed = new TwilioRestClient({
        baseUrl: 'http://127.0.0.1:1',
        accountSid: 'AC1',
        authToken: 't',
      });
      expect((await refusal(closed.placeCall(request('+14155550104')))).kind).toBe('unavailable');
    } finally {
      silent.closeAllConnections();
      await Promise.all([silent, html].map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });

  it('ends a call: Status=completed, canceled while it rings; an ended call stays ended', async () => {
    const virtual = await new FakeTwilio({ mode: 'manual', clock: 'virtual' }).start();
    try {
      const own = new TwilioRestClient({
        baseUrl: virtual.baseUrl,
        accountSid: virtual.account.accountSid,
        authToken: virtual.account.authToken,
      });
      const placed = await own.placeCall(request('+14155550105'));
      await virtual.idle();
      expect(virtual.calls.get(placed.callSid)!.status).toBe('ringing');
      await own.endCall(placed.callSid);
      expect(virtual.requests.at(-1)!.form).toEqual({ Status: 'completed' });
      await virtual.idle();
      expect(virtual.calls.get(placed.callSid)).toMatchObject({ status: 'canceled', sipResponseCode: 487 });
      await own.endCall(placed.callSid);
      expect(virtual.calls.get(placed.callSid)!.status).toBe('canceled');
      expect(await refusal(own.endCall('CA' + '0'.repeat(32)))).toMatchObject({
        kind: 'rejected',
        providerCode: 20404,
      });
    } finally {
      await virtual.close();
    }
  });

  it('downloads a recording as mp3 with basic auth, only from Twilio or the configured base URL', async () => {
    const recordingSid = newSid('RE');
    fake.recordings.set(recordingSid, {
      sid: recordingSid,
      accountSid: fake.account.accountSid,
      callSid: 'CA1',
      durationSeconds: 3,
      channels: 2,
      body: Buffer.from('ID3 bytes'),
    });
    const url = `${fake.baseUrl}/2010-04-01/Accounts/${fake.account.accountSid}/Recordings/${recordingSid}`;
    const recording = await client.downloadRecording(url);
    expect(recording).toEqual({ body: Buffer.from('ID3 bytes'), contentType: 'audio/mpeg' });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: new URL(url).pathname + '.mp3',
      status: 200,
    });
    expect((await client.downloadRecording(`${url}.wav`)).contentType).toBe('audio/x-wav');
    expect(
      await refusal(client.downloadRecording(`${url.replace(recordingSid, newSid('RE'))}`)),
    ).toMatchObject({
      kind: 'rejected',
      providerCode: 20404,
    });
    expect(await refusal(client.downloadRecording('https://evil.example/Recordings/RE1'))).toMatchObject({
      kind: 'rejected',
      message: 'Refusing to send Twilio credentials to https://evil.example',
    });
    expect((await refusal(client.downloadRecording('not a url'))).kind).toBe('rejected');
  });
});
