import type { IncomingMessage, ServerResponse } from 'node:http';

/** An Express-style handler that uses only Node's own request and response. */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => unknown;

/**
 * Runs handlers in order as Express would: `next()` goes on, `next(error)`, a throw or a
 * rejected promise ends the chain with that error. `done` is called once, with no error when
 * the last handler calls `next()`.
 */
export function runMiddleware(
  handlers: readonly NodeHandler[],
  req: IncomingMessage,
  res: ServerResponse,
  done: (error?: unknown) => void,
): void {
  let index = 0;
  let finished = false;
  const finish = (error?: unknown) => {
    if (finished) return;
    finished = true;
    done(error);
  };
  const next = (error?: unknown): void => {
    if (finished) return;
    if (error !== undefined) return finish(error);
    const handler = handlers[index++];
    if (!handler) return finish();
    try {
      const result = handler(req, res, next);
      if (result instanceof Promise)
        result.catch((rejection: unknown) => finish(rejection ?? new Error('rejected')));
    } catch (thrown) {
      finish(thrown);
    }
  };
  next();
}
