/** Undoes what a component's `start` did: listeners off, timers cleared, resources closed. */
export type Stop = () => void | Promise<void>;

/**
 * Names a per-process resource of type `T` (a connection pool, a timer-driven emitter) that
 * one component's `start` provides and the rest of that component uses.
 */
export class ResourceKey<T> {
  declare private readonly type: (value: T) => T;

  constructor(readonly name: string) {}
}

/**
 * The per-process resources components started, on `services.resources`: each process (and
 * each app a test starts) has its own, and a resource lives from its component's start to its stop.
 */
export class ProcessResources {
  private readonly values = new Map<object, unknown>();

  /** Makes `value` the process's `key` until the returned `Stop` withdraws it, then `close`s it. */
  provide<T>(key: ResourceKey<T>, value: T, close?: (value: T) => void | Promise<void>): Stop {
    if (this.values.has(key)) throw new Error(`${key.name} is already provided in this process`);
    this.values.set(key, value);
    return async () => {
      this.values.delete(key);
      await close?.(value);
    };
  }

  get<T>(key: ResourceKey<T>): T {
    if (!this.values.has(key)) {
      throw new Error(`${key.name} is not started in this process (its component's start has not run)`);
    }
    return this.values.get(key) as T;
  }
}
