/**
 * server.ts, then a fault: started by src/app/process-signals.test.ts as a child process.
 * FAULT=rejection leaves a promise rejected with no handler; anything else throws uncaught.
 */
import { stopOnSignalsAndFaults } from '../app/process-signals.js';
import { startSwitchyard } from '../app/switchyard.js';
import { loadConfig } from '../config/config.js';

const config = loadConfig();
const app = await startSwitchyard(config);
stopOnSignalsAndFaults(app, { logger: app.services.logger, shutdownTimeoutMs: config.shutdownTimeoutMs });
setImmediate(() => {
  if (process.env.FAULT === 'rejection')
    void Promise.reject(new Error('fault: nobody handled this rejection'));
  else throw new Error('fault: nobody caught this exception');
});
