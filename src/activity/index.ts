// The activity component's public surface: other folders import from here only.
export { activityColumns, activityRows, insertNote, recordActivity } from './activity.repository.js';
export type { ActivityEntry } from './activity.repository.js';
