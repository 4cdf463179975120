// The erasure component's public surface: other folders import from here only.
export { eraseLead, erasedPhone } from './erase-lead.js';
