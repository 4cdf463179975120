import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import type { Component } from './component.js';
import { startComponents } from './component-lifecycle.js';
import { ProcessResources, ResourceKey } from './process-resources.js';
import type { AppServices } from './services.js';

// Only what the lifecycle itself touches: the components here are stand-ins.
const services = {
  logger: createLogger({ level: 'silent' }),
  resources: new ProcessResources(),
} as unknown as AppServices;

function recording(log: string[], name: string, failStart = false): Component {
  return {
    name,
    start: () => {
      if (failStart) throw new Error(`${name} cannot start`);
      log.push(`start ${name}`);
      return () => void log.push(`stop ${name}`);
    },
  };
}

describe('component lifecycle', () => {
  it('starts components in list order and stops them in reverse', async () => {
    const log: string[] = [];
    const stop = await startComponents(
      [recording(log, 'a'), { name: 'routes only' }, recording(log, 'b')],
      services,
    );
    expect(log).toEqual(['start a', 'start b']);
    await stop();
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
  });

  it('stops what started when a later component fails to start', async () => {
    const log: string[] = [];
    await expect(
      startComponents([recording(log, 'a'), recording(log, 'b', true), recording(log, 'c')], services),
    ).rejects.toThrow('b cannot start');
    expect(log).toEqual(['start a', 'stop a']);
  });
});

describe('process resources', () => {
  it('hands out a provided resource until its stop withdraws and closes it', async () => {
    const resources = new ProcessResources();
    const key = new ResourceKey<{ closed: boolean }>('test.pool');
    expect(() => resources.get(key)).toThrow(/test.pool is not started/);
    const pool = { closed: false };
    const stop = resources.provide(key, pool, (value) => void (value.closed = true));
    expect(resources.get(key)).toBe(pool);
    expect(() => resources.provide(key, { closed: false })).toThrow(/already provided/);
    await stop();
    expect(pool.closed).toBe(true);
    expect(() => resources.get(key)).toThrow(/not started/);
  });
});
