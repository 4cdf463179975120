import { createAdapter } from '@socket.io/redis-adapter';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import { hasScope, lacksScope, type ApiKeyAuthenticator } from '../auth/tenant-auth.js';
import { toAppError } from '../http/error-handler.js';
import { duplicateRedis, type RedisClient } from '../redis/redis-client.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { TenantChanges } from '../tenancy/tenant-changes.js';

export const tenantRoom = (tenantId: string) => `tenant:${tenantId}`;

/** Decides whether a client of the tenant may join one of its sub-rooms (e.g. an agent's own). */
const subRoom = (tenantId: string, room: string) => `${tenantRoom(tenantId)}:${room}`;

export type SubscriptionCheck = (handle: TenantHandle, id: string) => Promise<boolean>;

/**
 * Socket.IO: dashboards authenticate in the handshake (`auth: { clientCode, apiKey }`) with a
 * key carrying the `crm` scope, and join their tenant's room only. When a tenant changes (key
 * revoked, tenant suspended or deleted) its sockets on this process are authenticated again and
 * those refused are disconnected. With Redis, rooms span every node, and a process
 * without an HTTP server (a worker) still reaches clients connected elsewhere.
 */
export class Realtime {
  readonly io: Server;
  private readonly adapterClients: RedisClient[] = [];
  private readonly subscriptionChecks = new Map<string, SubscriptionCheck>();
  private stopWatchingChanges: () => void = () => undefined;

  private attached = false;

  private constructor(io: Server) {
    this.io = io;
  }

  static async create(options: {
    authenticator: ApiKeyAuthenticator;
    changes: TenantChanges;
    corsOrigins: string[];
    redis?: RedisClient;
    /** The adapter's channel prefix: deployments (or test runs) sharing one Redis use their own. */
    redisKey?: string;
    logger: Logger;
  }): Promise<Realtime> {
    const origin = options.corsOrigins.includes('*') ? true : options.corsOrigins;
    const io = new Server({ cors: { origin }, serveClient: false });
    const realtime = new Realtime(io);
    if (options.redis) {
      const pub = duplicateRedis(options.redis, 'realtime-pub');
      const sub = duplicateRedis(options.redis, 'realtime-sub');
      await Promise.all([pub.connect(), sub.connect()]);
      realtime.adapterClients.push(pub, sub);
      io.adapter(createAdapter(publishingQuietly(pub), sub, { key: options.redisKey }));
    }
    const authenticate = async (socket: Socket) => {
      const auth = socket.handshake.auth as { clientCode?: string; apiKey?: string };
      const caller = await options.authenticator.authenticate(auth.clientCode, auth.apiKey);
      if (!hasScope(caller.scopes, 'crm')) throw lacksScope('crm');
      return caller;
    };
    io.use(async (socket, next) => {
      try {
        const caller = await authenticate(socket);
        socket.data.tenantId = caller.handle.tenant.id;
        socket.data.handle = caller.handle;
        next();
      } catch (error) {
        const appError = toAppError(error);
        next(Object.assign(new Error(appError.message), { data: { code: appError.code } }));
      }
    });
    const reauthenticate = (socket: Socket) =>
      authenticate(socket).catch((error: unknown) => {
        // Fails closed: a socket whose key cannot be confirmed now reconnects and authenticates anew.
        const appError = toAppError(error);
        if (appError.status >= 500) options.logger.warn({ err: error }, 'realtime re-authentication failed');
        socket.disconnect(true);
      });
    realtime.stopWatchingChanges = options.changes.subscribe((tenantId) => {
      // After the current listeners ran, so the authenticator's cache has dropped the tenant's keys.
      queueMicrotask(() => {
        for (const socket of realtime.socketsOf(tenantId)) void reauthenticate(socket);
      });
    });
    io.on('connection', (socket) => {
      const tenantId = socket.data.tenantId as string;
      void socket.join(tenantRoom(tenantId));
      // `subscribe:<kind>` (id, ack?) joins `tenant:<id>:<kind>:<id>` once the kind's check allows it.
      socket.onAny((event: string, id: unknown, ack?: unknown) => {
        const kind = /^subscribe:(\w+)$/.exec(event)?.[1];
        if (!kind) return;
        const reply = typeof ack === 'function' ? (ack as (answer: unknown) => void) : () => undefined;
        const check = realtime.subscriptionChecks.get(kind);
        const handle = socket.data.handle as TenantHandle | undefined;
        if (!check || !handle || typeof id !== 'string' || id.length > 200) return reply({ ok: false });
        check(handle, id)
          .then(async (allowed) => {
            if (allowed) await socket.join(subRoom(tenantId, `${kind}:${id}`));
            reply({ ok: allowed });
          })
          .catch((error: unknown) => {
            options.logger.warn({ err: error, event }, 'realtime subscription check failed');
            reply({ ok: false });
          });
      });
    });
    return realtime;
  }

  /**
   * Serves Socket.IO on the HTTP server. Call it after the server's own request listener is
   * registered: Engine.IO takes the listeners present at attach time and calls them for every
   * request but its own; one added later would also answer (404) Socket.IO's polling requests.
   */
  attach(httpServer: HttpServer): void {
    this.io.attach(httpServer);
    this.attached = true;
  }

  /** This process's sockets of the tenant (of every tenant for `null`). */
  private socketsOf(tenantId: string | null): Socket[] {
    const namespace = this.io.of('/');
    if (tenantId === null) return [...namespace.sockets.values()];
    const ids = namespace.adapter.rooms.get(tenantRoom(tenantId)) ?? new Set<string>();
    return [...ids].flatMap((id) => namespace.sockets.get(id) ?? []);
  }

  emitToTenant(tenantId: string, event: string, payload: unknown): void {
    this.emitToRoom(tenantRoom(tenantId), event, payload);
  }

  /** Lets clients `subscribe:<kind>` to a sub-room of their tenant when `check` allows it, until withdrawn. */
  allowSubscription(kind: string, check: SubscriptionCheck): () => void {
    this.subscriptionChecks.set(kind, check);
    return () => {
      if (this.subscriptionChecks.get(kind) === check) this.subscriptionChecks.delete(kind);
    };
  }

  /** Emits to a tenant's sub-room, e.g. `agent:<agentId>`. */
  emitToTenantRoom(tenantId: string, room: string, event: string, payload: unknown): void {
    this.emitToRoom(subRoom(tenantId, room), event, payload);
  }

  private emitToRoom(room: string, event: string, payload: unknown): void {
    // Without Redis only this process's clients can hear it: with none in the room, skip encoding
    // the packet (every ingested lead emits to its agent's room; a draining worker once per job).
    if (this.adapterClients.length === 0 && !this.io.of('/').adapter.rooms.has(room)) return;
    this.io.to(room).emit(event, payload);
  }

  async close(): Promise<void> {
    this.stopWatchingChanges();
    // A Socket.IO server that never attached to HTTP (worker, CLI) has no engine to close.
    if (this.attached) await this.io.close();
    await Promise.allSettled(this.adapterClients.map((client) => client.quit()));
  }
}

/**
 * The adapter's publishing client, whose publishes never reject. The adapter publishes without
 * awaiting and delivers to this process's sockets itself; while Redis is away a publish fails
 * (the event does not reach other nodes, and the outage is logged once by the client), and an
 * unhandled rejection per event would stop the process.
 */
function publishingQuietly(client: RedisClient): RedisClient {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'publish') {
        return (...args: unknown[]) =>
          (value as (...a: unknown[]) => Promise<number>).apply(target, args).catch(() => 0);
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
