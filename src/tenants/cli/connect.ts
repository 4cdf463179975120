import type { Logger } from 'pino';
import { openServices } from '../../app/switchyard.js';
import { readServerInfo } from '../../app/server-info.js';
import type { Config } from '../../config/config.js';
import { dataDirHolder } from '../../db/data-dir-lock.js';
import { platformApiClient } from './platform-api-client.js';
import type { TenantAdminPort } from './tenant-admin-port.js';

export interface AdminConnection {
  admin: TenantAdminPort;
  via: 'database' | 'platform-api';
  close(): Promise<void>;
}

/**
 * How the CLI reaches the tenant registry. With a Postgres server, directly (any number of
 * processes may connect). With the embedded PGlite default only one process may open the
 * data directory: if a server holds it, the CLI goes through that server's platform API
 * (port from `<DATA_DIR>/server.json`, token from the same config); otherwise it opens the
 * database itself for the duration of the command.
 */
export async function connectAdmin(config: Config, logger: Logger): Promise<AdminConnection> {
  if (!config.database.url) {
    const holder = dataDirHolder(config.database.dataDir);
    if (holder !== null && holder !== process.pid) {
      const info = readServerInfo(config.database.dataDir);
      if (!info || info.pid !== holder) {
        throw new Error(
          `The data directory is held by process ${holder}, which does not serve HTTP. Stop it or run the command against its server.`,
        );
      }
      return {
        admin: platformApiClient(`http://127.0.0.1:${info.port}`, config.platformAdminToken),
        via: 'platform-api',
        close: async () => undefined,
      };
    }
  }
  const services = await openServices({ ...config, redisUrl: undefined }, logger);
  return {
    admin: services.tenantAdmin,
    via: 'database',
    close: async () => {
      await services.realtime.close();
      await services.servers.close();
    },
  };
}
