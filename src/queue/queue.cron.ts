import type { CronDefinition } from '../cron/cron-types.js';
import { pruneTicks } from '../cron/cron.repository.js';
import { pruneFinishedJobs } from './jobs.repository.js';

const dayMs = 86_400_000;

/** Deletes finished jobs older than JOB_RETENTION_DAYS, and the cron tick records of the past day. */
export const pruneJobsTask: CronDefinition = {
  name: 'queue.prune',
  schedule: '17 * * * *',
  async run(services, tick) {
    const jobs = await pruneFinishedJobs(
      services.platform,
      new Date(tick.getTime() - services.config.queue.retentionDays * dayMs),
    );
    const ticks = await pruneTicks(services.platform, new Date(tick.getTime() - dayMs));
    services.logger.info({ jobs, ticks }, 'pruned finished jobs and old cron ticks');
  },
};
