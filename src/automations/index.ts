// The automations component's public surface: other folders import from here only.
export { handleEvent } from './engine/handle-event.js';
export type { EngineServices } from './engine/handle-event.js';
export { fireInternalTrigger } from './crm-triggers/fire-internal-trigger.js';
export type { InternalTriggerEvent } from './crm-triggers/fire-internal-trigger.js';
export { loadEngineSettings } from './engine/handle-event.js';
