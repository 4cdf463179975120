import type { Request, Response } from 'express';
import { Transform } from 'node:stream';
import { AppError } from '../http/app-error.js';

export const uploadTooLarge = (maxBytes: number) =>
  new AppError('payload_too_large', `The upload exceeds the import limit of ${maxBytes} bytes`);

/**
 * The request body, counted as it arrives (chunked or not): past `maxBytes` the stream fails
 * with 413 `payload_too_large` and the request is no longer read. The answer closes the
 * connection, so the client's remaining bytes are never taken in.
 */
export function limitedBody(req: Request, res: Response, maxBytes: number): Transform {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.setHeader('connection', 'close');
    throw uploadTooLarge(maxBytes);
  }
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen <= maxBytes) return done(null, chunk);
      req.unpipe(counted);
      req.pause();
      if (!res.headersSent) res.setHeader('connection', 'close');
      done(uploadTooLarge(maxBytes));
    },
  });
  // A request cut mid-upload fails the stream (and so the import), never the process.
  req.on('error', (error) => counted.destroy(error));
  return req.pipe(counted);
}
