// Moved to src/testing/job-queue.ts; this re-export keeps src/queue/*.test.ts (edited on another
// branch) compiling until their imports point there.
export * from '../testing/job-queue.js';
