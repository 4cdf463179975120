import type { AppServices } from '../app/services.js';
import type { JobContext, JobDefinition } from '../queue/job-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { findTenantById } from '../tenancy/tenant-registry.js';
import type { TestApp } from './test-app.js';

/** The tenant's handle, as a job or cron task gets it (through the connection manager). */
export async function tenantHandle(t: TestApp, tenantId: string): Promise<TenantHandle> {
  const tenant = await findTenantById(t.app.services.platform, tenantId);
  if (!tenant) throw new Error(`No tenant ${tenantId}`);
  return t.app.services.connections.resolve(tenant);
}

/**
 * A real JobContext for calling a job handler directly in a test: the tenant's handle, the
 * app's services, a logger with the job id, and an abort signal the test may fire.
 */
export async function jobContext<P>(
  t: TestApp,
  tenantId: string,
  kind: string,
  payload: P,
  options: { id?: string; attempt?: number; maxAttempts?: number; signal?: AbortSignal } = {},
): Promise<JobContext<P, AppServices>> {
  const id = options.id ?? `test-${Math.random().toString(36).slice(2, 10)}`;
  return {
    job: {
      id,
      tenantId,
      kind,
      payload,
      attempt: options.attempt ?? 1,
      maxAttempts: options.maxAttempts ?? 10,
    },
    handle: await tenantHandle(t, tenantId),
    logger: t.app.services.logger.child({ jobId: id, kind }),
    signal: options.signal ?? new AbortController().signal,
    services: t.app.services,
  };
}

/**
 * Runs a job handler once, directly, with a real JobContext; the payload is read with the
 * kind's schema first, as the worker does.
 */
export async function runJob<P>(
  t: TestApp,
  definition: JobDefinition<P, AppServices>,
  tenantId: string,
  payload: P,
  attempt = 1,
): Promise<unknown> {
  const options = { attempt, maxAttempts: definition.maxAttempts };
  const parsed = definition.payload.parse(payload);
  return definition.handler(await jobContext(t, tenantId, definition.kind, parsed, options));
}
