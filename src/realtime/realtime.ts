import { decodeJwt } from 'jose';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import type { Access } from '../auth/access.js';
import { hasScope, lacksScope, type ApiKeyAuthenticator, type UserPrincipals } from '../auth/tenant-auth.js';
import type { TenantCaller } from '../http/request-context.js';
import { AppError } from '../http/app-error.js';
import { toAppError } from '../http/error-handler.js';
import { duplicateRedis, type RedisClient } from '../redis/redis-client.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { TenantChanges } from '../tenancy/tenant-changes.js';

/**
 * The tenant room: sockets that see every record of the tenant (API keys acting as the tenant,
 * users whose `leads.read` scope is `all`). Tenant-wide events go here only.
 */
export const tenantRoom = (tenantId: string) => `tenant:${tenantId}`;

/** A sub-room of the tenant, e.g. `agent:<id>` joined by `subscribe:agent`. */
const subRoom = (tenantId: string, room: string) => `${tenantRoom(tenantId)}:${room}`;

/** Every socket of the tenant, whatever it sees: re-authentication finds them here. Nothing is emitted to it. */
const membersRoom = (tenantId: string) => subRoom(tenantId, 'sockets');

/** A socket whose `leads.read` scope reaches the agent joins it: events of the leads assigned to that agent. */
const seesAgentRoom = (tenantId: string, agentId: string) => subRoom(tenantId, `sees:${agentId}`);
/**
 * Where a socket without `pii.read` hears what `room` hears, phone numbers and emails masked: it
 * joins this twin instead of the room itself, so every payload is masked once per event, not
 * per socket, and no socket is in both.
 */
const maskedTwin = (room: string) => `${room}:masked`;
const roomFor = (room: string, access: Access) => (access.seesPii ? room : maskedTwin(room));

/**
 * Every socket of a user's own login (access token) linked to the agent, on any node: agent
 * presence counts them. Nothing is emitted to it.
 */
const agentSocketsRoom = (tenantId: string, agentId: string) => `agent-sockets:${tenantId}:${agentId}`;

/** The server-side event by which a node asks the others how many sockets a room has on them. */
const agentSocketCountRequest = 'realtime:agent-socket-count';

/** A socket of a user linked to an agent profile connected to or disconnected from this process. */
export interface AgentSocketChange {
  tenantId: string;
  handle: TenantHandle;
  agentId: string;
  change: 'connected' | 'disconnected';
}

/** The agent profile a socket counts for: a user's own login only (a key's socket is an integration). */
const agentOfCaller = (caller: TenantCaller): string | null =>
  caller.apiKey === null ? (caller.user?.agentId ?? null) : null;

/** Whether a socket (its caller's access) may join the sub-room `<kind>:<id>`. */
export type SubscriptionCheck = (handle: TenantHandle, id: string, access: Access) => Promise<boolean>;

/**
 * Socket.IO: dashboards authenticate in the handshake with a key carrying the `crm` scope
 * (`auth: { clientCode, apiKey }`) or a user's access token (`auth: { token }`), and join the
 * rooms of what their caller may see: the tenant room for a caller that sees every lead (a key
 * acting as the tenant, a user with `leads.read:all`), else one `sees:<agentId>` room per agent
 * its `leads.read` scope reaches (its own; a manager's team). Lead events go to the tenant room
 * and the owning agent's `sees:` room in one emit, so a socket receives each at most once, and
 * only for a lead it may see. When a tenant changes (key revoked, user disabled, role or team
 * changed, tenant suspended) its sockets on this process are authenticated again: those refused
 * are disconnected, the others' rooms recomputed. With Redis, rooms span every node, and a
 * process without an HTTP server (a worker) still reaches clients connected elsewhere.
 */
export class Realtime {
  readonly io: Server;
  private readonly adapterClients: RedisClient[] = [];
  private readonly subscriptionChecks = new Map<string, SubscriptionCheck>();
  private readonly agentSocketListeners = new Set<(change: AgentSocketChange) => void>();
  private stopWatchingChanges: () => void = () => undefined;

  private attached = false;

  private constructor(io: Server) {
    this.io = io;
  }

  static async create(options: {
    authenticator: ApiKeyAuthenticator;
    /** Verifies users' access tokens (`auth: { token }`); without it only keys connect. */
    users?: UserPrincipals;
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
    const authenticate = async (socket: Socket): Promise<TenantCaller> => {
      const auth = socket.handshake.auth as { clientCode?: string; apiKey?: string; token?: unknown };
      if (auth.token !== undefined && options.users) {
        if (typeof auth.token !== 'string') throw new AppError('unauthorized', 'Invalid access token');
        return options.users.authenticateBearer(auth.token);
      }
      const caller = await options.authenticator.authenticate(auth.clientCode, auth.apiKey);
      if (!hasScope(caller.scopes, 'crm')) throw lacksScope('crm');
      return caller;
    };
    io.use(async (socket, next) => {
      try {
        const caller = await authenticate(socket);
        socket.data.tenantId = caller.handle.tenant.id;
        socket.data.handle = caller.handle;
        socket.data.access = caller.access;
        socket.data.agentId = agentOfCaller(caller);
        socket.data.expiresAt = tokenExpiry(socket);
        next();
      } catch (error) {
        const appError = toAppError(error);
        next(Object.assign(new Error(appError.message), { data: { code: appError.code } }));
      }
    });
    const reauthenticate = async (socket: Socket) => {
      let caller: TenantCaller;
      try {
        caller = await authenticate(socket);
      } catch (error) {
        // Fails closed: a socket whose key or token cannot be confirmed now reconnects and
        // authenticates anew (a user's client with a fresh access token).
        const appError = toAppError(error);
        if (appError.status >= 500) options.logger.warn({ err: error }, 'realtime re-authentication failed');
        socket.disconnect(true);
        return;
      }
      if (caller.handle.tenant.id !== socket.data.tenantId) return void socket.disconnect(true);
      socket.data.handle = caller.handle;
      socket.data.access = caller.access;
      // A user linked to another agent (or none) since: the socket counts for the new one.
      const agentId = agentOfCaller(caller);
      const before = socket.data.agentId as string | null;
      if (agentId !== before && socket.connected) {
        socket.data.agentId = agentId;
        if (before) {
          await socket.leave(agentSocketsRoom(caller.handle.tenant.id, before));
          realtime.announceAgentSocket(socket, before, 'disconnected');
        }
        if (agentId) {
          await socket.join(agentSocketsRoom(caller.handle.tenant.id, agentId));
          realtime.announceAgentSocket(socket, agentId, 'connected');
        }
      }
      await realtime.placeInRooms(socket).catch((error: unknown) => {
        options.logger.warn({ err: error }, 'realtime rooms could not be recomputed');
        socket.disconnect(true);
      });
    };
    realtime.stopWatchingChanges = options.changes.subscribe((tenantId) => {
      // After the current listeners ran, so the authenticators' caches have dropped the tenant's entries.
      queueMicrotask(() => {
        for (const socket of realtime.socketsOf(tenantId)) void reauthenticate(socket);
      });
    });
    // Another node counting an agent's sockets (`agentSocketCount`): this node's share.
    io.on(agentSocketCountRequest, (room: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const answer = ack as (count: number) => void;
      answer(typeof room === 'string' && room.startsWith('agent-sockets:') ? realtime.localCount(room) : 0);
    });
    io.on('connection', (socket) => {
      const tenantId = socket.data.tenantId as string;
      // A user's socket lives as long as its access token: then it reconnects with a fresh one
      // (a key's socket has no expiry). Sessions ended earlier are caught by the tenant-change re-check.
      const expiresAt = socket.data.expiresAt as number | null;
      if (expiresAt !== null) {
        const timer = setTimeout(() => socket.disconnect(true), Math.max(0, expiresAt - Date.now()));
        timer.unref();
        socket.once('disconnect', () => clearTimeout(timer));
      }
      void socket.join(membersRoom(tenantId));
      const agentId = socket.data.agentId as string | null;
      if (agentId) {
        void socket.join(agentSocketsRoom(tenantId, agentId));
        realtime.announceAgentSocket(socket, agentId, 'connected');
      }
      // Fired once the socket has left every room, so counting the agent's sockets leaves it out.
      socket.once('disconnect', () => {
        const last = socket.data.agentId as string | null;
        if (last) realtime.announceAgentSocket(socket, last, 'disconnected');
      });
      // Joins synchronously (nothing to leave yet), so no event emitted after the connect is missed.
      realtime.placeInRooms(socket).catch((error: unknown) => {
        options.logger.warn({ err: error }, 'realtime rooms could not be set');
        socket.disconnect(true);
      });
      // `subscribe:<kind>` (id, ack?) joins `tenant:<id>:<kind>:<id>` once the kind's check allows it.
      socket.onAny((event: string, id: unknown, ack?: unknown) => {
        const kind = /^subscribe:(\w+)$/.exec(event)?.[1];
        if (!kind) return;
        const reply = typeof ack === 'function' ? (ack as (answer: unknown) => void) : () => undefined;
        const check = realtime.subscriptionChecks.get(kind);
        const handle = socket.data.handle as TenantHandle | undefined;
        const access = socket.data.access as Access | undefined;
        if (!check || !handle || !access || typeof id !== 'string' || id.length > 200)
          return reply({ ok: false });
        check(handle, id, access)
          .then(async (allowed) => {
            if (allowed)
              await socket.join(roomFor(subRoom(tenantId, `${kind}:${id}`), socket.data.access as Access));
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
    const ids = namespace.adapter.rooms.get(membersRoom(tenantId)) ?? new Set<string>();
    return [...ids].flatMap((id) => namespace.sockets.get(id) ?? []);
  }

  /**
   * Puts a socket in the rooms its caller's `leads.read` reaches now (the tenant room, or one
   * `sees:` room per agent), out of those it no longer reaches, and out of subscribed sub-rooms
   * whose check refuses it now.
   */
  private async placeInRooms(socket: Socket): Promise<void> {
    const tenantId = socket.data.tenantId as string;
    const handle = socket.data.handle as TenantHandle;
    const access = socket.data.access as Access;
    const visibility = access.visibility('leads.read');
    const wanted = new Set(
      (visibility.all
        ? [tenantRoom(tenantId)]
        : visibility.agentIds.map((agentId) => seesAgentRoom(tenantId, agentId))
      ).map((room) => roomFor(room, access)),
    );
    const seesPrefix = seesAgentRoom(tenantId, '');
    const subPrefix = subRoom(tenantId, '');
    const agentId = socket.data.agentId as string | null;
    const agentSockets = agentId ? agentSocketsRoom(tenantId, agentId) : null;
    for (const room of [...socket.rooms]) {
      if (room === socket.id || room === membersRoom(tenantId) || room === agentSockets || wanted.has(room))
        continue;
      if (room === tenantRoom(tenantId) || room.startsWith(seesPrefix)) {
        await socket.leave(room);
        continue;
      }
      const [kind, ...rest] = room.startsWith(subPrefix) ? room.slice(subPrefix.length).split(':') : [];
      const check = kind ? this.subscriptionChecks.get(kind) : undefined;
      if (!check || !(await check(handle, rest.join(':'), access))) await socket.leave(room);
    }
    await socket.join([...wanted]);
  }

  /**
   * Calls `listener` when a socket of a user linked to an agent connects to this process or
   * disconnects from it (or its user is linked to another agent), until the returned function
   * is called. A listener must not throw; what it starts runs on its own.
   */
  onAgentSocket(listener: (change: AgentSocketChange) => void): () => void {
    this.agentSocketListeners.add(listener);
    return () => void this.agentSocketListeners.delete(listener);
  }

  private announceAgentSocket(socket: Socket, agentId: string, change: AgentSocketChange['change']): void {
    const tenantId = socket.data.tenantId as string;
    const handle = socket.data.handle as TenantHandle;
    for (const listener of this.agentSocketListeners) listener({ tenantId, handle, agentId, change });
  }

  /**
   * How many sockets of users linked to the agent are connected, on every node (with Redis the
   * adapter asks each; it rejects when one does not answer in time).
   */
  async agentSocketCount(tenantId: string, agentId: string): Promise<number> {
    const room = agentSocketsRoom(tenantId, agentId);
    const here = this.localCount(room);
    if (this.adapterClients.length === 0) return here;
    // Each other node answers its own count: only numbers cross Redis (`fetchSockets()` would
    // publish every remote socket's `data`, tenant handle included).
    const there = (await this.io.serverSideEmitWithAck(agentSocketCountRequest, room)) as unknown[];
    return there.reduce<number>((sum, count) => sum + (typeof count === 'number' ? count : 0), here);
  }

  private localCount(room: string): number {
    return this.io.of('/').adapter.rooms.get(room)?.size ?? 0;
  }

  /** The agents with a user socket on this process, per tenant, with the tenant's handle. */
  localAgents(): Map<string, { handle: TenantHandle; agentIds: Set<string> }> {
    const byTenant = new Map<string, { handle: TenantHandle; agentIds: Set<string> }>();
    for (const socket of this.socketsOf(null)) {
      const agentId = socket.data.agentId as string | null | undefined;
      if (!agentId || !socket.connected) continue;
      const tenantId = socket.data.tenantId as string;
      const entry = byTenant.get(tenantId) ?? {
        handle: socket.data.handle as TenantHandle,
        agentIds: new Set(),
      };
      entry.agentIds.add(agentId);
      byTenant.set(tenantId, entry);
    }
    return byTenant;
  }

  /** To the sockets that see the whole tenant (keys acting as the tenant, users with `leads.read:all`). */
  emitToTenant(tenantId: string, event: string, payload: unknown): void {
    const room = tenantRoom(tenantId);
    this.emitToRooms([room, maskedTwin(room)], event, payload);
  }

  /**
   * An event about one lead (or a record hanging off it), to the sockets that may see that lead:
   * the tenant room and, for an assigned lead, the `sees:` room of its agent, in one emit (a
   * socket in both receives it once). An unassigned lead's events reach the tenant room only.
   * Every outgoing lead payload passes here: the place to shape it per audience (e.g. masked
   * for sockets without `pii.read`).
   */
  emitForLead(
    tenantId: string,
    ownerAgentId: string | null,
    event: string,
    payload: unknown,
    /** What sockets without `pii.read` receive; the payload itself when it holds no personal data. */
    masked: unknown = payload,
  ): void {
    const rooms = [tenantRoom(tenantId)];
    if (ownerAgentId) rooms.push(seesAgentRoom(tenantId, ownerAgentId));
    this.emitToRooms(rooms, event, payload);
    this.emitToRooms(rooms.map(maskedTwin), event, masked);
  }

  /** Lets clients `subscribe:<kind>` to a sub-room of their tenant when `check` allows it, until withdrawn. */
  allowSubscription(kind: string, check: SubscriptionCheck): () => void {
    this.subscriptionChecks.set(kind, check);
    return () => {
      if (this.subscriptionChecks.get(kind) === check) this.subscriptionChecks.delete(kind);
    };
  }

  /** Emits to a tenant's sub-room, e.g. `agent:<agentId>`. */
  emitToTenantRoom(
    tenantId: string,
    room: string,
    event: string,
    payload: unknown,
    masked: unknown = payload,
  ): void {
    this.emitToRoom(subRoom(tenantId, room), event, payload);
    this.emitToRoom(maskedTwin(subRoom(tenantId, room)), event, masked);
  }

  private emitToRoom(room: string, event: string, payload: unknown): void {
    this.emitToRooms([room], event, payload);
  }

  private emitToRooms(rooms: string[], event: string, payload: unknown): void {
    // Without Redis only this process's clients can hear it: with none in the rooms, skip encoding
    // the packet (every ingested lead emits to its agent's room; a draining worker once per job).
    const local = this.io.of('/').adapter.rooms;
    if (this.adapterClients.length === 0 && !rooms.some((room) => local.has(room))) return;
    this.io.to(rooms).emit(event, payload);
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

/** When the socket's access token expires (ms since the epoch); null for an API key's socket. */
function tokenExpiry(socket: Socket): number | null {
  const { token } = socket.handshake.auth as { token?: unknown };
  if (typeof token !== 'string') return null;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}
