// The automations component's public surface: other folders import from here only.
export { handleEvent } from './engine/handle-event.js';
