import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { pageCursor, pageLimit } from './pagination.js';

export type Security = 'tenant' | 'platform' | 'user' | 'none';

export function createOpenApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'clientCode', {
    type: 'apiKey',
    in: 'header',
    name: 'x-client-code',
  });
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
  });
  registry.registerComponent('securitySchemes', 'userToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: "A user's access token from POST /api/auth/login or /api/auth/refresh",
  });
  registry.registerComponent('securitySchemes', 'platformAdmin', {
    type: 'http',
    scheme: 'bearer',
    description:
      'PLATFORM_ADMIN_TOKEN, or a platform staff access token (POST /api/auth/platform/login); each platform route names its least staff role as x-platform-role',
  });
  return registry;
}

export function securityRequirement(security: Security): Record<string, string[]>[] | undefined {
  if (security === 'tenant') return [{ clientCode: [], apiKey: [] }, { userToken: [] }];
  if (security === 'platform') return [{ platformAdmin: [] }, { userToken: [] }];
  if (security === 'user') return [{ userToken: [] }];
  return undefined;
}

export function buildOpenApiDocument(registry: OpenAPIRegistry) {
  // Every list's `limit` and `cursor` (src/http/pagination.ts), defined once under
  // `components.parameters` and referenced by each list route that spreads `pageQuery`.
  const definitions = [
    ...registry.definitions,
    { type: 'parameter' as const, schema: pageLimit },
    { type: 'parameter' as const, schema: pageCursor },
  ];
  return new OpenApiGeneratorV31(definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Switchyard API',
      version: '0.1.0',
      description:
        "Multi-tenant sales CRM and automation backend. Tenant routes take `x-client-code` and `x-api-key` (machines) or a user's `Authorization: Bearer <access token>` (people, POST /api/auth/login); platform routes take `Authorization: Bearer $PLATFORM_ADMIN_TOKEN` or a platform staff member's access token (POST /api/auth/platform/login). Every response uses the envelope `{ success, data }` or `{ success: false, message, error: { code, details } }`.",
    },
  });
}
