// The call-rules component's public surface: other folders import from here only.
export {
  callSettingsSchema,
  defaultCallSettings,
  loadCallSettings,
  retryDelayMs,
  saveCallSettings,
} from './call-settings.js';
export type { CallingHours, CallSettings, CallSettingsInput } from './call-settings.js';
export { checkCallAllowed, filterCallable } from './call-compliance.js';
export type { CallCandidate, CallRefusal, CallVerdict } from './call-compliance.js';
export {
  callingWindowOpen,
  leadTimezones,
  localDayStart,
  nextCallingInstant,
  nextLocalMidnight,
} from './lead-timezones.js';
export { isCallOptOut } from './do-not-call-hooks.js';
export { insertDoNotCall } from './do-not-call.repository.js';
