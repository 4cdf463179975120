import type { ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import { loadScoringSettings, saveScoringSettings, scoringSettingsSchema } from './scoring-settings.js';

const tag = 'Scoring';

export function registerScoringRoutes(router: ApiRouter): void {
  router
    .route({
      method: 'get',
      path: '/scoring',
      tag,
      summary: "The tenant's lead-scoring weights and hot threshold",
      response: scoringSettingsSchema,
      handler: ({ req }) => loadScoringSettings(callerOf(req).handle.db),
    })
    .route({
      method: 'put',
      path: '/scoring',
      tag,
      summary: 'Replace the lead-scoring weights (applies to leads created or changed from now on)',
      body: scoringSettingsSchema.partial(),
      response: scoringSettingsSchema,
      handler: async ({ req, body }) => {
        const { db } = callerOf(req).handle;
        const current = await loadScoringSettings(db);
        return saveScoringSettings(db, { ...current, ...body });
      },
    });
}
