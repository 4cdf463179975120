// The pipelines component's public surface: other folders import from here only.
export {
  appendStageEntry,
  leavePipeline,
  isRequirableField,
  missingFields,
  moveToStage,
  requirableFields,
  requirePipelineStage,
} from './stage-moves.js';
export type {
  MoveRequest,
  PipelineRow,
  PipelineStage,
  StageEntry,
  StageMove,
  StageRow,
} from './stage-moves.js';
export type { PipelineKind, PipelineMode, StageOutcome, StageTaskTemplate } from './pipelines.tables.js';
export { defaultEntryStage, recordEntryStages } from './entry-stage.js';
export type { EntryStage } from './entry-stage.js';
export { recordRotting } from './rotting.js';
export type { StageEntered } from './stage-entered.js';
export { entryDurationMs, timeInStages } from './time-in-stage.js';
export type { TimedEntry } from './time-in-stage.js';
export { stageEntriesIn, stageHistoryConditions, stageHistoryFilterSchema } from './stage-history-filter.js';
export type { StageHistoryFilter } from './stage-history-filter.js';
