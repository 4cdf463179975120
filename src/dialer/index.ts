// The dialer component's public surface: other folders import from here only.
export {
  callSettingsSchema,
  defaultCallSettings,
  loadCallSettings,
  retryDelayMs,
  saveCallSettings,
} from './call-settings.js';
export type { CallingHours, CallSettings, CallSettingsInput } from './call-settings.js';
export { checkCallAllowed, filterCallable } from './compliance/call-compliance.js';
export type { CallCandidate, CallRefusal, CallVerdict } from './compliance/call-compliance.js';
export {
  callingWindowOpen,
  leadTimezones,
  localDayStart,
  nextCallingInstant,
  nextLocalMidnight,
} from './compliance/lead-timezones.js';
export { isCallOptOut } from './compliance/do-not-call-hooks.js';
export { insertDoNotCall } from './compliance/do-not-call.repository.js';
