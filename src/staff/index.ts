// The staff component's public surface: other folders import from here only.
export type { StaffAuth } from './staff-auth.js';
export { createStaffAuth } from './staff-auth.js';
export { userRef } from './users/user-principal.js';
export { createAgentWithUser } from './users/agent-user.js';
export { invitationSchema } from './users/user.schemas.js';
export { findUserRow } from './users/user.repository.js';
export { announceStaffChange } from './announce.js';
