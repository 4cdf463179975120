import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import type { AppServices } from '../app/services.js';
import { isDatabaseUnavailable } from '../db/postgres-errors.js';
import type { CronDefinition } from './cron-types.js';
import { claimTick } from './cron.repository.js';

/**
 * Schedules the recurring tasks in this process. Every worker process schedules them all;
 * a tick runs in the one process that records it first in `platform.cron_ticks`.
 */
export class CronScheduler {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly tasks: ScheduledTask[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Set while ticks are skipped because the database is down: logged once per outage, not per tick. */
  private databaseDown = false;

  constructor(
    private readonly services: AppServices,
    private readonly definitions: CronDefinition[],
  ) {
    const names = new Set<string>();
    for (const definition of definitions) {
      if (names.has(definition.name)) throw new Error(`Two cron tasks are named '${definition.name}'`);
      if (!cron.validate(definition.schedule)) {
        throw new Error(`Cron task '${definition.name}' has an invalid schedule '${definition.schedule}'`);
      }
      names.add(definition.name);
    }
  }

  start(): void {
    for (const definition of this.definitions) {
      const task = cron.schedule(
        definition.schedule,
        (context) => {
          const run = this.tick(definition, context.date).finally(() => this.inFlight.delete(run));
          this.inFlight.add(run);
        },
        { name: definition.name, timezone: 'UTC' },
      );
      this.tasks.push(task);
    }
  }

  /** Stops scheduling and waits for the ticks running now. */
  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.destroy()));
    this.tasks.length = 0;
    await Promise.allSettled([...this.inFlight]);
  }

  private async tick(definition: CronDefinition, date: Date): Promise<void> {
    // Processes fire a few milliseconds apart: the tick is the scheduled second.
    const tick = new Date(Math.floor(date.getTime() / 1000) * 1000);
    const logger = this.services.logger.child({ cron: definition.name, tick: tick.toISOString() });
    try {
      const claimed = await claimTick(this.services.platform, definition.name, tick, this.id);
      if (this.databaseDown) {
        this.databaseDown = false;
        this.services.logger.info('database reachable again; cron ticks resume');
      }
      if (!claimed) return;
      await definition.run(this.services, tick);
      logger.debug('cron task ran');
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        logger.error({ err: error }, 'cron task failed');
      } else if (!this.databaseDown) {
        this.databaseDown = true;
        logger.warn({ err: error }, 'database unavailable; cron ticks are skipped until it returns');
      }
    }
  }
}
