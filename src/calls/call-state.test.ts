import { describe, expect, it } from 'vitest';
import type { CallStatusEvent, ProviderCallStatus } from '../telephony/index.js';
import { mergeStatusEvent, outcomeOf, ringSecondsOf, type CallState } from './call-state.js';

const start = Date.parse('2026-03-02T10:00:00Z');
const fresh: CallState = {
  status: 'queued',
  statusSequence: -1,
  initiatedAt: null,
  ringingAt: null,
  answeredAt: null,
  endedAt: null,
  talkSeconds: null,
  answeredBy: null,
  sipResponseCode: null,
  errorCode: null,
  errorMessage: null,
  price: null,
  priceUnit: null,
};

function event(
  status: ProviderCallStatus,
  second: number,
  sequence: number,
  extra: Partial<CallStatusEvent> = {},
) {
  return {
    callSid: 'CA1',
    status,
    sequence,
    at: new Date(start + second * 1000),
    durationSeconds: null,
    answeredBy: null,
    sipResponseCode: null,
    errorCode: null,
    errorMessage: null,
    price: null,
    priceUnit: null,
    ...extra,
  } satisfies CallStatusEvent;
}

const fold = (events: CallStatusEvent[]) => events.reduce(mergeStatusEvent, fresh);

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) return yield items;
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i]!, ...tail];
  }
}

/** The callbacks of each scripted outcome, as Twilio sends them. */
const histories: Record<string, CallStatusEvent[]> = {
  answered: [
    event('initiated', 0, 0),
    event('ringing', 1, 1),
    event('in-progress', 6, 2, { answeredBy: 'human' }),
    event('completed', 66, 3, {
      durationSeconds: 60,
      sipResponseCode: 200,
      price: '-0.01300',
      priceUnit: 'USD',
    }),
  ],
  busy: [event('initiated', 0, 0), event('ringing', 1, 1), event('busy', 4, 2, { sipResponseCode: 486 })],
  noAnswer: [
    event('initiated', 0, 0),
    event('ringing', 1, 1),
    event('no-answer', 31, 2, { sipResponseCode: 487 }),
  ],
  switchedOff: [event('initiated', 0, 0), event('failed', 2, 1, { sipResponseCode: 480 })],
  unreachable: [event('initiated', 0, 0), event('no-answer', 1, 1, { sipResponseCode: 480 })],
  machine: [
    event('initiated', 0, 0),
    event('ringing', 1, 1),
    event('in-progress', 5, 2, { answeredBy: 'machine_start' }),
    event('completed', 25, 3, { durationSeconds: 20 }),
  ],
};

describe('call state machine', () => {
  it('moves through the stages in order and records each instant', () => {
    const state = fold(histories.answered!);
    expect(state).toMatchObject({
      status: 'completed',
      statusSequence: 3,
      initiatedAt: new Date(start),
      ringingAt: new Date(start + 1000),
      answeredAt: new Date(start + 6000),
      endedAt: new Date(start + 66_000),
      talkSeconds: 60,
      answeredBy: 'human',
      price: '-0.01300',
    });
    expect(outcomeOf(state)).toBe('answered');
    expect(ringSecondsOf(state)).toBe(5);
  });

  it.each(Object.keys(histories))('converges to one record under every order and duplicates (%s)', (name) => {
    const events = histories[name]!;
    const expected = fold(events);
    for (const order of permutations(events)) {
      expect(fold(order)).toEqual(expected);
      // Every callback delivered twice, the duplicates last (late retries) or first.
      expect(fold([...order, ...order])).toEqual(expected);
      expect(fold(order.flatMap((e) => [e, e]))).toEqual(expected);
    }
  });

  it('never undoes a final state, whatever arrives late', () => {
    const ended = fold(histories.busy!);
    expect(mergeStatusEvent(ended, event('ringing', 2, 1)).status).toBe('busy');
    expect(mergeStatusEvent(ended, event('in-progress', 3, 2)).status).toBe('busy');
    expect(mergeStatusEvent(ended, event('completed', 9, 9, { durationSeconds: 3 })).status).toBe('busy');
  });

  it('maps each final state to the outcome the lead counts', () => {
    expect(outcomeOf(fold(histories.busy!))).toBe('missed_call');
    expect(outcomeOf(fold(histories.noAnswer!))).toBe('missed_call');
    expect(outcomeOf(fold(histories.switchedOff!))).toBe('switched_off');
    expect(outcomeOf(fold(histories.unreachable!))).toBe('switched_off');
    expect(outcomeOf(fold(histories.machine!))).toBe('missed_call');
    expect(outcomeOf(fold([event('failed', 1, 0, { sipResponseCode: 404 })]))).toBe('not_connected');
    expect(outcomeOf(fold([event('canceled', 1, 0)]))).toBe('not_connected');
    expect(outcomeOf(fold([event('ringing', 1, 0)]))).toBeNull();
  });

  it('takes the answer instant from the talk time when the answered callback is lost', () => {
    const [initiated, ringing, , completed] = histories.answered!;
    const state = fold([initiated!, ringing!, completed!]);
    expect(state.answeredAt).toEqual(new Date(start + 6000));
    expect(outcomeOf(state)).toBe('answered');
  });
});
