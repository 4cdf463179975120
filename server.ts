import { stopOnSignalsAndFaults } from './src/app/process-signals.js';
import { startSwitchyard } from './src/app/switchyard.js';
import { loadConfig } from './src/config/config.js';
import { ConfigError } from './src/config/config-error.js';

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
  const app = await startSwitchyard(config);
  stopOnSignalsAndFaults(app, { logger: app.services.logger, shutdownTimeoutMs: config.shutdownTimeoutMs });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Switchyard failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  if (process.env.NODE_ENV === 'development' && error instanceof Error)
    process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
