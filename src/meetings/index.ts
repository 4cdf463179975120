// The meetings component's public surface: other folders import from here only.
export { createMeeting } from './meetings.service.js';
export type { MeetingServices } from './meetings.service.js';
export type { MeetingsTable } from './meetings.tables.js';
export { pollDelayMs } from './poll-conference.job.js';
