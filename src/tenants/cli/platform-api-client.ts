import { cliUserHeader } from '../../auth/platform-auth.js';
import type { TenantAdminPort } from './tenant-admin-port.js';

type Tenant = Awaited<ReturnType<TenantAdminPort['listTenants']>>[number];

export class PlatformApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: unknown,
  ) {
    super(message);
    this.name = 'PlatformApiError';
  }
}

/**
 * TenantAdminPort over the running server's platform API (`/api/platform`), with the shared
 * token; `cliUser` (the OS user) makes the audit log record the change as the CLI's.
 */
export function platformApiClient(baseUrl: string, adminToken: string, cliUser: string): TenantAdminPort {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl}/api/platform${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        [cliUserHeader]: cliUser,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = (await response.json()) as {
      success: boolean;
      data?: T;
      message?: string;
      error?: { code: string; details?: unknown };
    };
    if (!payload.success) {
      throw new PlatformApiError(
        payload.message ?? `HTTP ${response.status}`,
        response.status,
        payload.error?.code ?? 'unknown',
        payload.error?.details,
      );
    }
    return payload.data as T;
  };
  const tenant = (code: string) => `/tenants/${encodeURIComponent(code)}`;
  return {
    createTenant: (input) => call('POST', '/tenants', input),
    // Walks every page of the list (src/http/pagination.ts).
    listTenants: async () => {
      const tenants: Tenant[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page: { items: Tenant[]; nextCursor: string | null } = await call(
          'GET',
          `/tenants?limit=200${query}`,
        );
        tenants.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return tenants;
    },
    getTenant: (code) => call('GET', tenant(code)),
    updateTenant: (code, input) => call('PATCH', tenant(code), input),
    setStatus: (code, status) =>
      call('POST', `${tenant(code)}/${status === 'active' ? 'resume' : 'suspend'}`),
    createKey: (code, input) => call('POST', `${tenant(code)}/keys`, input),
    revokeKey: (code, keyId) => call('DELETE', `${tenant(code)}/keys/${encodeURIComponent(keyId)}`),
    setSecret: (code, kind, value) => call('PUT', `${tenant(code)}/secrets/${kind}`, value),
    removeSecret: (code, kind) => call('DELETE', `${tenant(code)}/secrets/${kind}`),
    rotateSecretsKey: () => call('POST', '/secrets/rotate'),
    addStaff: (input) => call('POST', '/staff', input),
  };
}
