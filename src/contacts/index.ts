// The contacts component's public surface: other folders import from here only.
export { findContact } from './contact.repository.js';
export type { Contact } from './contact.schemas.js';
