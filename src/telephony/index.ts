// The telephony component's public surface: other folders import from here only.
export {
  TelephonyError,
  providerCallStatuses,
  type CallStatusEvent,
  type PlaceCallRequest,
  type PlacedCall,
  type ProviderCallSnapshot,
  type ProviderCallStatus,
  type TelephonyErrorKind,
  type TelephonyProvider,
} from './telephony-provider.js';
export {
  loadTelephony,
  requireTelephony,
  requireTelephonyForJob,
  type TelephonyChannel,
  type TwilioSecret,
} from './twilio-channel.js';
export {
  TwilioRestClient,
  statusCallbackEvents,
  type TwilioCall,
  type TwilioRestClientOptions,
} from './twilio/twilio-rest-client.js';
export {
  toTelephonyError,
  twilioErrorKind,
  retryAfterMs,
  type TwilioErrorBody,
} from './twilio/twilio-errors.js';
export {
  verifyTwilioSignature,
  twilioSignature,
  callbackUrl,
  twilioSignatureHeader,
  type TwilioParams,
} from './twilio/twilio-signature.js';
export {
  parseCallStatusCallback,
  parseVoiceRequest,
  parseDialActionCallback,
  parseRecordingStatusCallback,
  callbackAccountSid,
  InvalidTwilioCallbackError,
  type DialActionCallback,
  type DialCallStatus,
  type RecordingStatus,
  type RecordingStatusCallback,
  type VoiceRequest,
} from './twilio/twilio-callbacks.js';
export {
  bridgeTwiml,
  dialLeadTwiml,
  sayAndHangUp,
  hangUpTwiml,
  twimlContentType,
  type DialTwimlOptions,
} from './twilio/twiml.js';
