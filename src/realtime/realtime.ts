import { createAdapter } from '@socket.io/redis-adapter';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import type { ApiKeyAuthenticator } from '../auth/api-key-authenticator.js';
import { toAppError } from '../http/error-handler.js';
import type { RedisClient } from '../redis/redis-client.js';

export const tenantRoom = (tenantId: string) => `tenant:${tenantId}`;

/**
 * Socket.IO: dashboards authenticate in the handshake (`auth: { clientCode, apiKey }`)
 * and join their tenant's room only. With Redis, rooms span every node, and a process
 * without an HTTP server (a worker) still reaches clients connected elsewhere.
 */
export class Realtime {
  readonly io: Server;
  private readonly adapterClients: RedisClient[] = [];

  private constructor(
    io: Server,
    private readonly attached: boolean,
  ) {
    this.io = io;
  }

  static async create(options: {
    httpServer?: HttpServer;
    authenticator: ApiKeyAuthenticator;
    corsOrigins: string[];
    redis?: RedisClient;
    logger: Logger;
  }): Promise<Realtime> {
    const origin = options.corsOrigins.includes('*') ? true : options.corsOrigins;
    const io = new Server({ cors: { origin }, serveClient: false });
    const realtime = new Realtime(io, options.httpServer !== undefined);
    if (options.redis) {
      const pub = options.redis.duplicate();
      const sub = options.redis.duplicate();
      for (const client of [pub, sub]) {
        client.on('error', (error: unknown) => options.logger.warn({ err: error }, 'realtime redis error'));
      }
      await Promise.all([pub.connect(), sub.connect()]);
      realtime.adapterClients.push(pub, sub);
      io.adapter(createAdapter(pub, sub));
    }
    io.use(async (socket, next) => {
      const auth = socket.handshake.auth as { clientCode?: string; apiKey?: string };
      try {
        const caller = await options.authenticator.authenticate(auth.clientCode, auth.apiKey);
        socket.data.tenantId = caller.handle.tenant.id;
        next();
      } catch (error) {
        const appError = toAppError(error);
        next(Object.assign(new Error(appError.message), { data: { code: appError.code } }));
      }
    });
    io.on('connection', (socket) => {
      void socket.join(tenantRoom(socket.data.tenantId as string));
    });
    if (options.httpServer) io.attach(options.httpServer);
    return realtime;
  }

  emitToTenant(tenantId: string, event: string, payload: unknown): void {
    this.io.to(tenantRoom(tenantId)).emit(event, payload);
  }

  async close(): Promise<void> {
    // A Socket.IO server that never attached to HTTP (worker, CLI) has no engine to close.
    if (this.attached) await this.io.close();
    await Promise.allSettled(this.adapterClients.map((client) => client.quit()));
  }
}
