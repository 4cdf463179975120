import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { AppError, type FieldIssue } from './app-error.js';
import { errorEnvelopeSchema, success, successSchema } from './envelope.js';
import { applyAliases, inputIssues, strictInput, unknownKeys, unstorableText } from './input-contract.js';
import { securityRequirement, type Security } from './openapi.js';
import { maskPii, piiPaths } from './pii.js';
import type { Permission } from '../auth/permissions.js';
import { requirePlatformRole, type PlatformRole } from '../auth/platform-auth.js';
import { callerOf } from './request-context.js';
import { sendJson } from './send-json.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

/** A handler's answer when the status depends on the outcome (e.g. 200 for a duplicate, 201 for new). */
export class Reply<T> {
  constructor(
    readonly status: number,
    readonly data: T,
  ) {}
}

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  method: Method;
  /** Express-style path relative to the router's base, e.g. `/tenants/:code`. */
  path: string;
  summary: string;
  description?: string;
  /** OpenAPI tag, when it differs from the router's (several components share one router). */
  tag?: string;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * Tenant routes only, and required there: the permission the caller's role needs (403
   * without it), or `null` when any caller of the family may call it (what it shows is then
   * limited by the caller's visibility alone). Listed in the OpenAPI document as `x-permission`.
   */
  permission?: Permission | null;
  /**
   * Platform routes only, and required there: the least platform staff role that may call it
   * (`platform_support` lets both roles in, `platform_admin` only admins and the shared token);
   * 403 otherwise, before input parsing. Listed in the OpenAPI document as `x-platform-role`.
   */
  platformRole?: PlatformRole;
  /** Schema of `data` in the success envelope. */
  response?: z.ZodType;
  /**
   * The success answer is a file of this media type (`application/pdf`), not the JSON envelope: the
   * handler writes it on `res`. Errors still answer the envelope.
   */
  produces?: string;
  status?: number;
  /** Extra error statuses worth documenting beyond the router's defaults. */
  errors?: Record<number, string>;
  /**
   * Served by `HotRoutes`, without Express, for the routes called at volume. Its handler (and
   * the router's middleware) may use only Node's `req`/`res`, `req.body`, `req.params`,
   * `req.query` and `callerOf(req)`, and answer by returning its data.
   */
  hot?: boolean;
  /**
   * Other names accepted for top-level fields, as `{ alias: field }`, e.g. the names clients of
   * the systems we replace send (`{ body: { assignedStates: 'territories' } }`). Giving both is a
   * 400. Listed in the route's OpenAPI description.
   */
  aliases?: { body?: Record<string, string>; query?: Record<string, string> };
  /**
   * The handler reads the request stream itself (an upload in its own format): the router
   * leaves the body alone, and the handler answers for what it accepts.
   */
  streamBody?: boolean;
  /** The body arrives as raw bytes up to this size (e.g. `'3mb'`) instead of parsed JSON. */
  rawBody?: string;
  /**
   * Runs after the router's middleware, for a requirement of this route alone, e.g. the scope
   * of an alias mounted on another family's router (`requireScope('automations')` on `/api/crm`).
   */
  middleware?: RequestHandler[];
  handler: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown>;
}

const defaultErrors: Record<Security, Record<number, string>> = {
  none: { 400: 'Invalid input' },
  tenant: {
    400: 'Invalid input',
    401: 'Missing or invalid credentials',
    403: 'Tenant suspended or key lacks the scope',
    429: 'Rate limit exceeded',
  },
  platform: {
    400: 'Invalid input',
    401: 'Missing or invalid platform admin token or staff access token',
    403: "The staff member's role may not do this",
  },
  user: { 400: 'Invalid input', 401: 'Missing, invalid or expired access token' },
};

/** A route as the HTTP app mounts it: its full path, its family's middleware (run before the body parser) and its handler. */
export interface MountedRoute {
  method: Method;
  path: string;
  middleware: readonly RequestHandler[];
  handler: RequestHandler;
  hot: boolean;
  rawBody?: string;
}

/**
 * An Express router whose routes validate their input with zod, answer in the envelope,
 * and register themselves in the OpenAPI document, from one definition.
 */
export class ApiRouter {
  readonly express = Router();
  /** Every route, for the app to mount raw-body parsers and hot routes. */
  readonly mounted: MountedRoute[] = [];

  /**
   * The family's authentication, rate limit and scope check. The HTTP app runs them for every
   * request under `base` before it reads the body, so a stranger's body is never read or parsed.
   */
  readonly middleware: readonly RequestHandler[];

  constructor(
    readonly base: string,
    private readonly registry: OpenAPIRegistry,
    private readonly options: { tag: string; security: Security; middleware?: RequestHandler[] },
  ) {
    this.middleware = options.middleware ?? [];
  }

  route<P extends AnyObject, Q extends AnyObject, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): this {
    const status = spec.status ?? (spec.method === 'post' ? 201 : 200);
    const schemas = inputSchemas(spec);
    const permission = this.permissionOf(spec);
    const platformRole = this.platformRoleOf(spec);
    // The response's phone and email fields, found once: masked for a caller without `pii.read`.
    const pii = piiPaths(spec.response);
    const shown = (req: Request, data: unknown) =>
      pii.length > 0 && req.caller && !req.caller.access.seesPii ? maskPii(data, pii) : data;
    const handle: RequestHandler = async (req, res) => {
      if (permission) callerOf(req).access.require(permission);
      if (platformRole) requirePlatformRole(req, platformRole);
      const input = parseInput(spec, schemas, req);
      const result = await spec.handler({ ...input, req, res } as RouteInput<
        z.infer<P>,
        z.infer<Q>,
        z.infer<B>
      >);
      if (res.headersSent) return;
      if (result instanceof Reply) sendJson(res, result.status, success(shown(req, result.data)));
      else sendJson(res, status, success(shown(req, result ?? null)));
    };
    const routeMiddleware = spec.middleware ?? [];
    this.express[spec.method](spec.path, ...routeMiddleware, handle);
    this.mounted.push({
      method: spec.method,
      path: this.base + spec.path,
      // The family's middleware, then this route's own (a scope): both before the body is read.
      middleware: [...this.middleware, ...routeMiddleware],
      handler: handle,
      hot: spec.hot ?? false,
      rawBody: spec.rawBody,
    });
    this.registry.registerPath(this.describe(spec, status));
    return this;
  }

  private permissionOf(spec: RouteSpec<AnyObject, AnyObject, z.ZodType>): Permission | null {
    if (this.options.security !== 'tenant') {
      if (spec.permission !== undefined)
        throw new Error(`${spec.path}: permissions apply to tenant routes only`);
      return null;
    }
    if (spec.permission === undefined) {
      throw new Error(
        `${spec.method.toUpperCase()} ${this.base}${spec.path}: a tenant route declares its permission (or null)`,
      );
    }
    return spec.permission;
  }

  private platformRoleOf(spec: RouteSpec<AnyObject, AnyObject, z.ZodType>): PlatformRole | null {
    if (this.options.security !== 'platform') {
      if (spec.platformRole !== undefined)
        throw new Error(`${spec.path}: platform roles apply to platform routes only`);
      return null;
    }
    if (spec.platformRole === undefined) {
      throw new Error(
        `${spec.method.toUpperCase()} ${this.base}${spec.path}: a platform route declares its platformRole`,
      );
    }
    return spec.platformRole;
  }

  private describe(spec: RouteSpec<AnyObject, AnyObject, z.ZodType>, status: number): RouteConfig {
    const errors = { ...defaultErrors[this.options.security], ...spec.errors };
    const errorResponses = Object.fromEntries(
      Object.entries(errors).map(([code, description]) => [
        code,
        { description, content: { 'application/json': { schema: errorEnvelopeSchema } } },
      ]),
    );
    return {
      method: spec.method,
      path: toOpenApiPath(this.base + spec.path),
      summary: spec.summary,
      description: describeAliases(spec),
      tags: [spec.tag ?? this.options.tag],
      ...(spec.permission !== undefined ? { 'x-permission': spec.permission } : {}),
      ...(spec.platformRole !== undefined ? { 'x-platform-role': spec.platformRole } : {}),
      security: securityRequirement(this.options.security),
      request: {
        params: spec.params,
        query: spec.query,
        body: spec.body ? { content: { 'application/json': { schema: spec.body } } } : undefined,
      },
      responses: {
        [status]: {
          description: 'Success',
          content: spec.produces
            ? { [spec.produces]: { schema: z.string().meta({ format: 'binary' }) } }
            : { 'application/json': { schema: successSchema(spec.response ?? z.unknown()) } },
        },
        ...errorResponses,
      },
    };
  }
}

/** A route without a query schema takes no query parameters; without a body schema, no JSON fields. */
const nothing = z.object({});

interface InputSchemas {
  params: z.ZodType;
  query: z.ZodType;
  body: z.ZodType | undefined;
}

/** The route's input schemas as `parseInput` applies them: strict (input-contract.ts). */
function inputSchemas(spec: RouteSpec<AnyObject, AnyObject, z.ZodType>): InputSchemas {
  return {
    params: strictInput(spec.params ?? nothing),
    query: strictInput(spec.query ?? nothing),
    // A raw body is bytes, a streamed one the handler's to read.
    body: spec.rawBody || spec.streamBody ? undefined : strictInput(spec.body ?? nothing),
  };
}

/**
 * The one place a route's input is read (Express and hot routes alike), under the input
 * contract (input-contract.ts, README "Input rules"): text the database cannot store is
 * `invalid_data`; aliases are renamed; unknown keys and invalid values are `validation_failed`,
 * each issue naming its field (`body.x`, `query.x`, `params.x`).
 */
function parseInput(spec: RouteSpec<AnyObject, AnyObject, z.ZodType>, schemas: InputSchemas, req: Request) {
  const text = [
    ...unstorableText('params', req.params),
    ...unstorableText('query', req.query),
    ...(schemas.body ? unstorableText('body', req.body) : []),
  ];
  if (text.length > 0) {
    throw new AppError('invalid_data', 'The request holds text that cannot be stored', { details: text });
  }
  const issues: FieldIssue[] = [];
  const part = (name: 'params' | 'query' | 'body', value: unknown) => {
    const schema = schemas[name];
    if (!schema) return value;
    const aliases = name === 'params' ? undefined : spec.aliases?.[name];
    const result = schema.safeParse(applyAliases(name, aliases, value ?? {}, issues), { error: unknownKeys });
    if (result.success) return result.data;
    issues.push(...inputIssues(name, result.error.issues));
    return undefined;
  };
  const params = part('params', req.params);
  const query = part('query', req.query);
  const body = part('body', req.body);
  if (issues.length > 0) {
    throw AppError.invalidFields(issues);
  }
  return { params, query, body };
}

function describeAliases(spec: RouteSpec<AnyObject, AnyObject, z.ZodType>): string | undefined {
  const aliases = Object.entries(spec.aliases ?? {}).flatMap(([part, names]) =>
    Object.entries(names).map(([alias, field]) => `\`${alias}\` for \`${field}\` (${part})`),
  );
  if (aliases.length === 0) return spec.description;
  const line = `Also accepts ${aliases.join(', ')}; giving both names is a 400.`;
  return spec.description ? `${spec.description}\n\n${line}` : line;
}

function toOpenApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}
