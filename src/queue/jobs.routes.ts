import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { callerOf } from '../http/request-context.js';
import { findTenantByCode } from '../tenancy/tenant-registry.js';
import { cancelJob, findJob, listJobs, requeueJob } from './jobs.repository.js';
import { jobIdParams, jobListQuery, jobPageSchema, jobSchema, toJobView } from './jobs.schemas.js';

/** The calling tenant's jobs (`/api/automations/jobs`). */
export function registerTenantJobRoutes(router: ApiRouter, { platform }: AppServices): void {
  router
    .route({
      method: 'get',
      permission: 'settings.manage',
      path: '/jobs',
      tag: 'Jobs',
      summary: "List the tenant's jobs, newest first",
      query: jobListQuery,
      response: jobPageSchema,
      handler: async ({ req, query }) => {
        const tenantId = callerOf(req).handle.tenant.id;
        return listJobs(platform, { ...query, tenantId }, toJobView);
      },
    })
    .route({
      method: 'post',
      permission: 'settings.manage',
      path: '/jobs/:id/retry',
      tag: 'Jobs',
      summary: 'Run a dead or failed job again now, with a fresh set of attempts',
      params: jobIdParams,
      status: 200,
      response: jobSchema,
      errors: { 404: 'No such job', 409: 'The job is neither dead nor failed' },
      handler: async ({ req, params }) => {
        const tenantId = callerOf(req).handle.tenant.id;
        const row = await requeueJob(platform, tenantId, params.id);
        if (row) return toJobView(row);
        throw await stateConflict(platform, tenantId, params.id, 'Only dead or failed jobs can be retried');
      },
    })
    .route({
      method: 'delete',
      permission: 'settings.manage',
      path: '/jobs/:id',
      tag: 'Jobs',
      summary: 'Cancel a job that has not started (queued, or waiting for its retry)',
      params: jobIdParams,
      response: jobSchema,
      errors: { 404: 'No such job', 409: 'The job is running or finished' },
      handler: async ({ req, params }) => {
        const tenantId = callerOf(req).handle.tenant.id;
        const row = await cancelJob(platform, tenantId, params.id);
        if (row) return toJobView(row);
        throw await stateConflict(
          platform,
          tenantId,
          params.id,
          'Only a job waiting to run can be cancelled',
        );
      },
    });
}

async function stateConflict(
  platform: AppServices['platform'],
  tenantId: string,
  id: number,
  message: string,
): Promise<AppError> {
  const job = await findJob(platform, tenantId, id);
  if (!job) return AppError.notFound('Job', { id: String(id) });
  return new AppError('conflict', message, { details: { id: String(id), status: job.status } });
}

const platformJobQuery = jobListQuery.extend({
  tenant: z.string().min(1).max(40).optional().describe('client code'),
});

/** Every tenant's jobs for platform staff (`/api/platform/jobs`). */
export function registerPlatformJobRoutes(router: ApiRouter, { platform }: AppServices): void {
  router.route({
    method: 'get',
    path: '/jobs',
    platformRole: 'platform_support',
    tag: 'Jobs',
    summary: 'List jobs across tenants, newest first',
    query: platformJobQuery,
    response: jobPageSchema,
    errors: { 404: 'No such tenant' },
    handler: async ({ query }) => {
      let tenantId: string | undefined;
      if (query.tenant) {
        const tenant = await findTenantByCode(platform, query.tenant);
        if (!tenant) throw AppError.notFound('Tenant', { tenant: query.tenant });
        tenantId = tenant.id;
      }
      return listJobs(platform, { ...query, tenantId }, toJobView);
    },
  });
}
