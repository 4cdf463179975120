import type { DatabaseServer } from './database-server.js';
import { openPostgresServer, type PostgresServerOptions } from './postgres-server.js';

/**
 * The database servers this process talks to: the default one (Postgres or embedded
 * PGlite) and any dedicated Postgres servers tenants are placed on. One pool per server,
 * shared by every tenant schema on it.
 */
export class ServerRegistry {
  private readonly dedicated = new Map<string, DatabaseServer>();

  constructor(
    readonly defaultServer: DatabaseServer,
    private readonly options: PostgresServerOptions,
  ) {}

  serverFor(url: string | null): DatabaseServer {
    if (url === null) return this.defaultServer;
    let server = this.dedicated.get(url);
    if (!server) {
      server = openPostgresServer(url, this.options);
      this.dedicated.set(url, server);
    }
    return server;
  }

  get poolCount(): number {
    return 1 + this.dedicated.size;
  }

  async close(options?: { graceMs?: number }): Promise<void> {
    const servers = [...this.dedicated.values(), this.defaultServer];
    this.dedicated.clear();
    await Promise.allSettled(servers.map((server) => server.close(options)));
  }
}
