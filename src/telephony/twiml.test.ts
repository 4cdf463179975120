import { describe, expect, it } from 'vitest';
import { bridgeTwiml, dialLeadTwiml, hangUpTwiml, sayAndHangUp } from './twilio/twiml.js';

const declaration = '<?xml version="1.0" encoding="UTF-8"?>';

describe('TwiML builders', () => {
  it('bridges to the salesperson, recorded both legs from the answer', () => {
    expect(
      bridgeTwiml({
        agentNumber: '+14155550111',
        callerId: '+14155550100',
        timeoutSeconds: 20,
        record: true,
        dialActionUrl: 'https://crm.example.com/api/telephony/twilio/dial?call=1&x=2',
        recordingStatusUrl: 'https://crm.example.com/api/telephony/twilio/recording?call=1',
      }),
    ).toBe(
      declaration +
        '<Response><Dial action="https://crm.example.com/api/telephony/twilio/dial?call=1&amp;x=2" method="POST" ' +
        'callerId="+14155550100" timeout="20" record="record-from-answer-dual" ' +
        'recordingStatusCallback="https://crm.example.com/api/telephony/twilio/recording?call=1" ' +
        'recordingStatusCallbackMethod="POST"><Number>+14155550111</Number></Dial></Response>',
    );
  });

  it('dials the lead for click-to-call, without recording when off', () => {
    expect(
      dialLeadTwiml({
        leadNumber: '+14155550122',
        callerId: '+14155550100',
        timeoutSeconds: 30,
        record: false,
        dialActionUrl: 'https://crm.example.com/dial',
        recordingStatusUrl: 'https://crm.example.com/recording',
      }),
    ).toBe(
      declaration +
        '<Response><Dial action="https://crm.example.com/dial" method="POST" callerId="+14155550100" timeout="30">' +
        '<Number>+14155550122</Number></Dial></Response>',
    );
  });

  it('says a message and hangs up; hangs up', () => {
    expect(sayAndHangUp('Sorry, <nobody> is free & we will call back.')).toBe(
      declaration +
        '<Response><Say>Sorry, &lt;nobody&gt; is free &amp; we will call back.</Say><Hangup/></Response>',
    );
    expect(hangUpTwiml()).toBe(declaration + '<Response><Hangup/></Response>');
  });
});
