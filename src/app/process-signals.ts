import type { Logger } from 'pino';

/**
 * How a Switchyard process ends, for every reason, through the app's own `stop()`:
 * SIGTERM/SIGINT stop it and exit 0; an uncaught exception or unhandled rejection (a
 * catastrophic AppError reaches here too: the HTTP error handler re-raises it) is logged at
 * fatal, stops it and exits 1, since the process may be in a state nobody planned for. A stop
 * that fails, or outlasts the shutdown bound, exits 1.
 */
export function stopOnSignalsAndFaults(
  app: { stop(): Promise<void> },
  options: { logger: Logger; shutdownTimeoutMs: number },
): void {
  const { logger } = options;
  let exitCode = 0;
  let stopping = false;
  const stop = (code: number) => {
    exitCode = Math.max(exitCode, code);
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), options.shutdownTimeoutMs + 5000).unref();
    app.stop().then(
      () => process.exit(exitCode),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: a second signal (a process group's SIGTERM plus one relayed by a launcher, or
  // Ctrl-C pressed twice) would otherwise get the default action and kill the process mid-stop.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      logger.info({ signal }, 'signal received');
      stop(0);
    });
  }
  const fault = (what: string) => (error: unknown) => {
    logger.fatal({ err: error }, what);
    stop(1);
  };
  process.on('uncaughtException', fault('uncaught exception'));
  process.on('unhandledRejection', fault('unhandled rejection'));
}
