// The automations component's public surface: other folders import from here only.
export { handleEvent, loadEngineSettings } from './engine/handle-event.js';
export type { EngineServices, EngineSettings } from './engine/handle-event.js';
export { fireInternalTrigger } from './crm-triggers/fire-internal-trigger.js';
export type { InternalTriggerEvent } from './crm-triggers/fire-internal-trigger.js';
