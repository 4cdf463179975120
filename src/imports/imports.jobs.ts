import { z } from 'zod';
import { defineJob } from '../queue/job-types.js';
import { failDeadImport, runImport } from './run-import.job.js';

/** The job contract of the imports component: its kinds, their payloads and handlers. */

export const runImportPayload = z.object({ importId: z.string() });

declare module '../queue/job-types.js' {
  interface JobPayloads {
    'imports.run': z.infer<typeof runImportPayload>;
  }
}

export const runImportJob = defineJob({
  kind: 'imports.run',
  payload: runImportPayload,
  handler: runImport,
  onDead: failDeadImport,
  // A 100,000-row file takes a while; the lease is renewed meanwhile and a retry resumes.
  timeoutMs: 30 * 60_000,
  maxAttempts: 5,
  // One import at a time per tenant: a second one waits queued (issue 15), another tenant's runs.
  tenantConcurrency: 1,
});

export const importsJobs = [runImportJob];
