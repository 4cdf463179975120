import type { Component, Stop } from './component.js';
import type { AppServices } from './services.js';

/**
 * Starts every component in list order and returns what stops them in reverse. If one fails
 * to start, those already started are stopped before the error propagates.
 */
export async function startComponents(components: Component[], services: AppServices): Promise<Stop> {
  const started: { name: string; stop: Stop }[] = [];
  const stopStarted = async () => {
    for (const { name, stop } of started.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        services.logger.error({ err: error, component: name }, 'component failed to stop');
      }
    }
  };
  try {
    for (const component of components) {
      const stop = await component.start?.(services);
      if (stop) started.push({ name: component.name, stop });
    }
  } catch (error) {
    await stopStarted();
    throw error;
  }
  return stopStarted;
}
