import { stopOnSignalsAndFaults } from './src/app/process-signals.js';
import { startSwitchyard } from './src/app/switchyard.js';
import { loadConfig } from './src/config/config.js';
import { ConfigError } from './src/config/config-error.js';
import { createLogger } from './src/logging/logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const starting = startSwitchyard(config, logger);
  // Handlers first: a SIGTERM while starting would otherwise get the default action (an instant
  // kill); with them, the process stops gracefully once started.
  stopOnSignalsAndFaults(
    { stop: async () => (await starting).stop() },
    { logger, shutdownTimeoutMs: config.shutdownTimeoutMs },
  );
  await starting;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Switchyard failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  if (process.env.NODE_ENV === 'development' && error instanceof Error)
    process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
