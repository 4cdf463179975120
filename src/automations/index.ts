// The automations component's public surface: other folders import from here only.
export { handleEvent } from './engine/handle-event.js';
export type { EngineServices } from './engine/handle-event.js';
