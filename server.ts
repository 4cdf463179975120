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
  const { logger } = app.services;
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'signal received');
    const forced = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5000).unref();
    app.stop().then(
      () => {
        clearTimeout(forced);
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Switchyard failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  if (process.env.NODE_ENV === 'development' && error instanceof Error)
    process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
