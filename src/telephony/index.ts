// The telephony component's public surface: other folders import from here only.
export { TelephonyError } from './telephony-provider.js';
export type {
  CallStatusEvent,
  PlaceCallRequest,
  PlacedCall,
  ProviderCallStatus,
  TelephonyErrorKind,
  TelephonyProvider,
} from './telephony-provider.js';
