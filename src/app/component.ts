import type { RecordHookHandlers } from '../tenancy/record-hooks.js';
import type { CronDefinition } from '../cron/cron-types.js';
import type { ApiRouter } from '../http/api-router.js';
import type { JobDefinition } from '../queue/job-types.js';
import type { Stop } from './process-resources.js';
import type { AppServices } from './services.js';

export type { Stop };

/** The shared routers, one per route family; each applies its family's authentication. */
export interface Routers {
  /** `/api/crm`: tenant key with the `crm` scope. */
  crm: ApiRouter;
  /** `/api/automations`: tenant key with the `automations` scope. */
  automations: ApiRouter;
  /** `/api/platform`: platform admin token or a platform staff access token; each route names its least role. */
  platform: ApiRouter;
  /** `/api/auth`: logins (no credentials yet; each route checks what it needs). */
  auth: ApiRouter;
  /** Root, no authentication (health, webhooks, unsubscribe links): routes authenticate themselves. */
  open: ApiRouter;
}

/**
 * A business component plugs into the process here, so wiring it means adding it to the
 * list in components.ts and nothing else.
 */
export interface Component {
  name: string;
  /**
   * Wires what this process needs whatever its role (web, worker or all): event listeners,
   * realtime subscriptions, timers, per-process resources (`services.resources`). Runs after
   * the services open and before routes are served or jobs claimed; the returned `Stop` runs
   * at shutdown, components in reverse order, after the worker and HTTP server stopped.
   */
  start?(services: AppServices): Stop | void | Promise<Stop | void>;
  /** Declares routes only (web role); anything that must also run in a worker belongs in `start`. */
  routes?(routers: Routers, services: AppServices): void;
  /**
   * Job kinds this component handles (run by the worker role): the list its `<component>.jobs.ts`
   * contract exports. Each handler names the services it needs; this type checks that the
   * process's services have them.
   */
  jobs?: JobDefinition<any, AppServices>[];
  /** Recurring tasks (scheduled by the worker role). */
  cron?: CronDefinition[];
  /**
   * What this component does inside other components' writes, by the hook they announce
   * (`src/tenancy/record-hooks.ts`), where importing it would make an import cycle.
   */
  recordHooks?: RecordHookHandlers;
}

/** One `Stop` for several, run in reverse order (the last thing started stops first). */
export function stopAll(...stops: Stop[]): Stop {
  return async () => {
    for (const stop of [...stops].reverse()) await stop();
  };
}
