// The scoring component's public surface: other folders import from here only.
export { scoreLead } from './lead-score.js';
export { loadScoringSettings } from './scoring-settings.js';
export type { ScoringSettings } from './scoring-settings.js';
