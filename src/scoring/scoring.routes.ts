import type { ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import { loadScoringSettings, saveScoringSettings, scoringSettingsSchema } from './scoring-settings.js';

const tag = 'Scoring';

export function registerScoringRoutes(router: ApiRouter): void {
  router
    .route({
      method: 'get',
      permission: null,
      path: '/scoring',
      tag,
      summary: "The tenant's lead-scoring weights and hot threshold",
      response: scoringSettingsSchema,
      handler: ({ req }) => loadScoringSettings(callerOf(req).handle),
    })
    .route({
      method: 'put',
      permission: 'settings.manage',
      path: '/scoring',
      tag,
      summary: 'Replace the lead-scoring weights (applies to leads created or changed from now on)',
      body: scoringSettingsSchema.partial(),
      response: scoringSettingsSchema,
      handler: async ({ req, body }) => {
        const { handle } = callerOf(req);
        const current = await loadScoringSettings(handle);
        return saveScoringSettings(handle, { ...current, ...body });
      },
    });
}
