import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeTwilio, type FakeTwilioOptions } from './testing/fake-twilio.js';
import { parseCallStatusCallback } from './twilio/twilio-callbacks.js';
import { verifyTwilioSignature } from './twilio/twilio-signature.js';
import { TwilioRestClient } from './twilio/twilio-rest-client.js';
import { bridgeTwiml, hangUpTwiml, sayAndHangUp } from './twilio/twiml.js';

/** A tiny stand-in for the app's webhooks: checks every signature, answers TwiML from `answer`. */
interface Received {
  path: string;
  params: Record<string, string>;
  signed: boolean;
}
let receiver: Server;
let receiverUrl = '';
let received: Received[] = [];
let authToken = '';
let answer: (path: string, params: Record<string, string>) => string = () => hangUpTwiml();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const url = `${receiverUrl}${req.url}`;
      const signed = verifyTwilioSignature({
        authToken,
        url,
        params,
        signature: req.headers['x-twilio-signature'],
      });
      const path = new URL(url).pathname;
      received.push({ path, params, signed });
      if (!signed) return void res.writeHead(403).end();
      if (path === '/status' || path === '/recording') return void res.writeHead(204).end();
      res.writeHead(200, { 'content-type': 'text/xml' }).end(answer(path, params));
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => receiver.close(resolve)));

let fake: FakeTwilio;
let client: TwilioRestClient;
async function startFake(options: FakeTwilioOptions = {}): Promise<void> {
  fake = await new FakeTwilio(options).start();
  authToken = fake.account.authToken;
  client = new TwilioRestClient({ baseUrl: fake.baseUrl, accountSid: fake.account.accountSid, authToken });
  received = [];
  answer = () => hangUpTwiml();
}
afterEach(() => fake?.close());

const callerId = '+14155550100';
const agent = '+14155550111';
const t0 = new Date('2026-03-02T09:00:00Z');

function place(to: string, machineDetection = false) {
  return client.placeCall({
    to,
    from: callerId,
    answerUrl: `${receiverUrl}/answer?call=42`,
    statusCallbackUrl: `${receiverUrl}/status?call=42`,
    timeoutSeconds: 30,
    machineDetection,
  });
}

const statuses = () =>
  received.filter((r) => r.path === '/status').map((r) => [r.params.SequenceNumber, r.params.CallStatus]);
const finalOf = () => received.filter((r) => r.path === '/status').at(-1)!.params;

describe('FakeTwilio', () => {
  it('answer: signed callbacks in order, the answer webhook, a recorded bridge to the agent', async () => {
    await startFake({ now: () => t0 });
    fake.script('+14155550001', { outcome: 'answer', ringSeconds: 4, talkSeconds: 65 });
    answer = (path) =>
      path === '/answer'
        ? bridgeTwiml({
            agentNumber: agent,
            callerId,
            timeoutSeconds: 20,
            record: true,
            dialActionUrl: `${receiverUrl}/dial?call=42`,
            recordingStatusUrl: `${receiverUrl}/recording?call=42`,
          })
        : hangUpTwiml();
    const placed = await place('+14155550001');
    await fake.idle();
    expect(received.every((r) => r.signed)).toBe(true);
    expect(received.map((r) => r.path)).toEqual([
      '/status',
      '/status',
      '/status',
      '/answer',
      '/dial',
      '/recording',
      '/status',
    ]);
    expect(statuses()).toEqual([
      ['0', 'initiated'],
      ['1', 'ringing'],
      ['2', 'in-progress'],
      ['3', 'completed'],
    ]);
    const first = received[0]!.params;
    expect(first).toMatchObject({
      CallSid: placed.callSid,
      AccountSid: fake.account.accountSid,
      From: callerId,
      To: '+14155550001',
      Direction: 'outbound-api',
      ApiVersion: '2010-04-01',
      CallbackSource: 'call-progress-events',
      Timestamp: 'Mon, 02 Mar 2026 09:00:00 +0000',
    });
    expect(first.AnsweredBy).toBeUndefined();
    expect(received[2]!.params.Timestamp).toBe('Mon, 02 Mar 2026 09:00:04 +0000');
    // Agent rings 5 s, then they talk 65 s.
    const dial = received.find((r) => r.path === '/dial')!.params;
    expect(dial).toMatchObject({
      DialCallStatus: 'completed',
      DialCallDuration: '65',
      CallSid: placed.callSid,
    });
    expect(dial.DialCallSid).toMatch(/^CA[0-9a-f]{32}$/);
    const recording = received.find((r) => r.path === '/recording')!.params;
    expect(recording).toMatchObject({
      CallSid: placed.callSid,
      RecordingStatus: 'completed',
      RecordingDuration: '65',
      RecordingChannels: '2',
      RecordingUrl: `${fake.baseUrl}/2010-04-01/Accounts/${fake.account.accountSid}/Recordings/${recording.RecordingSid}`,
    });
    expect(finalOf()).toMatchObject({
      CallStatus: 'completed',
      CallDuration: '70',
      Duration: '2',
      SipResponseCode: '200',
    });
    expect(parseCallStatusCallback(finalOf(), new Date()).at).toEqual(new Date('2026-03-02T09:01:14Z'));
    const bytes = await client.downloadRecording(recording.RecordingUrl!);
    expect(bytes.body.equals(fake.recordingBytes(recording.RecordingSid!)!)).toBe(true);
    expect(fake.callTo('+14155550001')!.dials).toMatchObject([
      { number: agent, dialCallStatus: 'completed' },
    ]);
    expect(fake.callbackResponses.map((r) => r.status)).toEqual([204, 204, 204, 200, 200, 204, 204]);
  });

  it('the agent leg follows its own script (busy agent → DialCallStatus busy, no recording)', async () => {
    await startFake();
    fake.script(agent, { outcome: 'busy' });
    answer = (path) =>
      path === '/answer'
        ? bridgeTwiml({
            agentNumber: agent,
            callerId,
            timeoutSeconds: 20,
            record: true,
            dialActionUrl: `${receiverUrl}/dial`,
            recordingStatusUrl: `${receiverUrl}/recording`,
          })
        : sayAndHangUp('Sorry, nobody is free.');
    await place('+14155550002');
    await fake.idle();
    expect(received.find((r) => r.path === '/dial')!.params).toMatchObject({
      DialCallStatus: 'busy',
      DialCallDuration: '0',
    });
    expect(received.some((r) => r.path === '/recording')).toBe(false);
    expect(finalOf()).toMatchObject({ CallStatus: 'completed', CallDuration: '2' });
    expect(fake.callTo('+14155550002')!.twiml.at(-1)).toContain('<Say>Sorry, nobody is free.</Say>');
  });

  it.each([
    [
      'busy',
      {},
      [
        ['0', 'initiated'],
        ['1', 'busy'],
      ],
      '486',
      '0',
    ],
    [
      'busy',
      { ringSeconds: 3 },
      [
        ['0', 'initiated'],
        ['1', 'ringing'],
        ['2', 'busy'],
      ],
      '486',
      '0',
    ],
    [
      'no-answer',
      {},
      [
        ['0', 'initiated'],
        ['1', 'ringing'],
        ['2', 'no-answer'],
      ],
      '487',
      '0',
    ],
    [
      'answer',
      { ringSeconds: 45 },
      [
        ['0', 'initiated'],
        ['1', 'ringing'],
        ['2', 'no-answer'],
      ],
      '487',
      '0',
    ],
    [
      'failed',
      {},
      [
        ['0', 'initiated'],
        ['1', 'failed'],
      ],
      '404',
      '0',
    ],
    [
      'switched_off',
      {},
      [
        ['0', 'initiated'],
        ['1', 'no-answer'],
      ],
      '480',
      '0',
    ],
  ] as const)('%s %o: the documented callback sequence', async (outcome, extra, sequence, sip, duration) => {
    await startFake({ now: () => t0 });
    fake.script('+14155550003', { outcome, ...extra });
    await place('+14155550003');
    await fake.idle();
    expect(statuses()).toEqual(sequence);
    expect(finalOf()).toMatchObject({ SipResponseCode: sip, CallDuration: duration });
    expect(received.some((r) => r.path === '/answer')).toBe(false);
    if (sequence.at(-1)![1] === 'no-answer' && sip === '487') {
      // No answer at the call's Timeout (30 s).
      expect(finalOf().Timestamp).toBe('Mon, 02 Mar 2026 09:00:30 +0000');
    }
  });

  it('machine: AnsweredBy with MachineDetection, on the answer webhook and the callbacks', async () => {
    await startFake();
    fake.script('+14155550004', { outcome: 'machine' });
    fake.script('+14155550005', { outcome: 'answer' });
    await place('+14155550004', true);
    await fake.idle();
    expect(received.find((r) => r.path === '/answer')!.params.AnsweredBy).toBe('machine_start');
    expect(finalOf()).toMatchObject({ AnsweredBy: 'machine_start', CallStatus: 'completed' });
    received = [];
    await place('+14155550005', true);
    await fake.idle();
    expect(received.find((r) => r.path === '/answer')!.params.AnsweredBy).toBe('human');
    received = [];
    await place('+14155550005');
    await fake.idle();
    expect(received.find((r) => r.path === '/answer')!.params.AnsweredBy).toBeUndefined();
  });

  it('manual delivery: queued until delivered, shuffled by a seed, duplicated, replayed', async () => {
    await startFake({ mode: 'manual' });
    fake.script('+14155550006', { outcome: 'no-answer' });
    const placed = await place('+14155550006');
    await fake.idle();
    expect(received).toEqual([]);
    const pending = fake.pendingCallbacks();
    expect(pending.map((c) => [c.kind, c.params.SequenceNumber, c.callSid])).toEqual([
      ['status', '0', placed.callSid],
      ['status', '1', placed.callSid],
      ['status', '2', placed.callSid],
    ]);
    const responses = await fake.deliver({ shuffle: 7, duplicate: true });
    expect(responses).toHaveLength(6);
    expect(responses.filter((r) => r.duplicate)).toHaveLength(3);
    expect(received.every((r) => r.signed)).toBe(true);
    const order = statuses().map(([sequence]) => sequence);
    expect([...order].sort()).toEqual(['0', '0', '1', '1', '2', '2']);
    // The same seed gives the same order.
    const again = await startFakeAndDeliver(7);
    expect(again).toEqual(order);
    expect(fake.pendingCallbacks()).toEqual([]);
  });

  it('delays one call’s callbacks behind another’s with a filter; replays late duplicates', async () => {
    await startFake({ mode: 'manual' });
    fake.script('+14155550007', { outcome: 'busy' });
    fake.script('+14155550008', { outcome: 'busy' });
    const first = await place('+14155550007');
    const second = await place('+14155550008');
    await fake.idle();
    await fake.deliver({ filter: (c) => c.callSid === second.callSid });
    expect(fake.pendingCallbacks().every((c) => c.callSid === first.callSid)).toBe(true);
    await fake.deliver();
    expect(received.map((r) => r.params.CallSid)).toEqual([
      second.callSid,
      second.callSid,
      first.callSid,
      first.callSid,
    ]);
    const replayed = await fake.replay(1);
    expect(replayed[0]).toMatchObject({ duplicate: true, status: 204 });
    expect(received.at(-1)!.params).toMatchObject({
      CallSid: first.callSid,
      CallStatus: 'busy',
      SequenceNumber: '1',
    });
  });

  it('virtual clock: each step waits for runDue past its time; a hang-up while ringing is canceled', async () => {
    let now = t0;
    await startFake({ clock: 'virtual', now: () => now });
    fake.script('+14155550009', { outcome: 'answer', ringSeconds: 10, talkSeconds: 60 });
    answer = () => sayAndHangUp('Hello');
    const placed = await place('+14155550009');
    await fake.idle();
    expect(statuses()).toEqual([
      ['0', 'initiated'],
      ['1', 'ringing'],
    ]);
    expect(fake.nextDueAt()).toEqual(new Date(t0.getTime() + 10_000));
    now = new Date(t0.getTime() + 9_000);
    await fake.runDue();
    expect(statuses()).toHaveLength(2);
    now = new Date(t0.getTime() + 10_000);
    await fake.runDue();
    expect(statuses().at(-1)).toEqual(['2', 'in-progress']);
    expect(received.at(-1)!.path).toBe('/answer');
    now = new Date(t0.getTime() + 60_000);
    await fake.runDue();
    expect(finalOf()).toMatchObject({
      CallStatus: 'completed',
      CallDuration: '2',
      Timestamp: 'Mon, 02 Mar 2026 09:00:12 +0000',
    });
    expect(fake.calls.get(placed.callSid)!.status).toBe('completed');

    received = [];
    const ringing = await place('+14155550009');
    await fake.idle();
    now = new Date(now.getTime() + 3_000);
    await client.endCall(ringing.callSid);
    await fake.idle();
    expect(statuses()).toEqual([
      ['0', 'initiated'],
      ['1', 'ringing'],
      ['2', 'canceled'],
    ]);
    expect(finalOf()).toMatchObject({ SipResponseCode: '487', Timestamp: 'Mon, 02 Mar 2026 09:01:03 +0000' });
    expect(fake.nextDueAt()).toBeNull();
  });

  it('ending a bridged call completes it and delivers the recording so far', async () => {
    let now = t0;
    await startFake({ clock: 'virtual', now: () => now });
    fake.script('+14155550010', { outcome: 'answer', ringSeconds: 2, talkSeconds: 300 });
    answer = (path) =>
      path === '/answer'
        ? bridgeTwiml({
            agentNumber: agent,
            callerId,
            timeoutSeconds: 20,
            record: true,
            dialActionUrl: `${receiverUrl}/dial`,
            recordingStatusUrl: `${receiverUrl}/recording`,
          })
        : hangUpTwiml();
    const placed = await place('+14155550010');
    now = new Date(t0.getTime() + 60_000);
    await fake.runDue();
    expect(fake.calls.get(placed.callSid)!.status).toBe('in-progress');
    await client.endCall(placed.callSid);
    await fake.idle();
    expect(received.find((r) => r.path === '/recording')!.params).toMatchObject({ RecordingDuration: '53' });
    expect(finalOf()).toMatchObject({ CallStatus: 'completed', CallDuration: '58' });
    await fake.runAll();
    expect(fake.nextDueAt()).toBeNull();
  });

  it('answers 401 with Twilio error JSON to wrong credentials and 404 to another account', async () => {
    await startFake();
    const response = await fetch(
      `${fake.baseUrl}/2010-04-01/Accounts/${fake.account.accountSid}/Calls.json`,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${fake.account.accountSid}:wrong`).toString('base64')}`,
        },
      },
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
    const other = await fetch(`${fake.baseUrl}/2010-04-01/Accounts/AC${'0'.repeat(32)}/Calls.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${fake.account.accountSid}:${authToken}`).toString('base64')}`,
      },
    });
    expect(other.status).toBe(404);
  });
});

async function startFakeAndDeliver(seed: number): Promise<string[]> {
  await fake.close();
  await startFake({ mode: 'manual' });
  fake.script('+14155550006', { outcome: 'no-answer' });
  await place('+14155550006');
  await fake.idle();
  await fake.deliver({ shuffle: seed, duplicate: true });
  return statuses().map(([sequence]) => sequence!);
}
