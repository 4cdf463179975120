// The staff component's public surface: other folders import from here only.
export type { StaffAuth } from './staff-auth.js';
export { createStaffAuth } from './staff-auth.js';
export { userRef } from './users/user-principal.js';
