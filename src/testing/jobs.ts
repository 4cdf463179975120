import type { JobContext, JobDefinition } from '../queue/job-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { toTenant } from '../tenants/tenant.repository.js';
import type { TestApp } from './test-app.js';

/** The tenant's handle, as jobs and routes get it. */
export async function tenantHandle(t: TestApp, tenantId: string): Promise<TenantHandle> {
  const { services } = t.app;
  const row = await services.platform
    .selectFrom('tenants')
    .selectAll()
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return services.connections.resolve(toTenant(row));
}

/** Runs a job handler once with a real JobContext built from the test app's services. */
export async function runJob<P>(
  t: TestApp,
  definition: JobDefinition<P>,
  tenantId: string,
  payload: P,
  attempt = 1,
): Promise<unknown> {
  const { services } = t.app;
  const handle = await tenantHandle(t, tenantId);
  const context: JobContext<P> = {
    job: {
      id: `test-${definition.kind}`,
      tenantId,
      kind: definition.kind,
      payload,
      attempt,
      maxAttempts: definition.maxAttempts ?? 5,
    },
    handle,
    logger: services.logger.child({ job: definition.kind }),
    signal: new AbortController().signal,
    services,
  };
  return definition.handler(context);
}
