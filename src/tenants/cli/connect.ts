import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import type { AppServices } from '../../app/services.js';
import type { PlatformActor } from '../../auth/platform-auth.js';
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
        admin: platformApiClient(`http://127.0.0.1:${info.port}`, config.platformAdminToken, cliUserName()),
        via: 'platform-api',
        close: async () => undefined,
      };
    }
  }
  const services = await openServices({ ...config, redisUrl: undefined }, logger);
  return {
    admin: inProcessAdmin(services, { type: 'cli', id: null, name: cliUserName() }),
    via: 'database',
    close: async () => {
      await services.realtime.close();
      await services.servers.close();
    },
  };
}

/** The OS user running the CLI, as the audit log names the actor. */
export function cliUserName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** TenantAdmin (and staff accounts) in this process, every change recorded as the CLI's. */
function inProcessAdmin(services: AppServices, actor: PlatformActor): TenantAdminPort {
  const admin = services.tenantAdmin;
  return {
    createTenant: (input) => admin.createTenant(input, actor),
    listTenants: () => admin.listTenants(),
    getTenant: (code) => admin.getTenant(code),
    updateTenant: (code, input) => admin.updateTenant(code, input, actor),
    setStatus: (code, status) => admin.setStatus(code, status, actor),
    createKey: (code, input) => admin.createKey(code, input, actor),
    revokeKey: (code, keyId) => admin.revokeKey(code, keyId, actor),
    setSecret: (code, kind, value) => admin.setSecret(code, kind, value, actor),
    removeSecret: (code, kind) => admin.removeSecret(code, kind, actor),
    rotateSecretsKey: () => admin.rotateSecretsKey(actor),
    addStaff: (input) => services.staffAuth.platformStaff.createStaff(input, actor),
  };
}
