/**
 * A worker process for the crash test: it runs `crash.hold` jobs by announcing the job on
 * stdout and then hanging, so that the test can SIGKILL it while it holds the lease.
 */
import { z } from 'zod';
import { openServices } from '../app/switchyard.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import { JobWorker } from './job-worker.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel });
const services = await openServices(config, logger);
const worker = new JobWorker(
  services,
  [
    {
      kind: 'crash.hold',
      payload: z.unknown(),
      handler: ({ job }) => {
        process.stdout.write(`${JSON.stringify({ claimed: job.id, worker: worker.id })}\n`);
        return new Promise(() => undefined);
      },
    },
  ],
  { ...config.queue, shutdownGraceMs: 1000 },
);
await worker.start();
process.stdout.write(`${JSON.stringify({ ready: worker.id })}\n`);
