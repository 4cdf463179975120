export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** JSON-encoded unless it is already a string or Buffer. */
  body?: unknown;
}

/** One API of the app called as one tenant: its key headers on every request, JSON bodies. */
export interface TenantClient {
  get<T = any>(path: string): Promise<TestResponse<T>>;
  post<T = any>(path: string, body?: unknown): Promise<TestResponse<T>>;
  put<T = any>(path: string, body?: unknown): Promise<TestResponse<T>>;
  patch<T = any>(path: string, body?: unknown): Promise<TestResponse<T>>;
  delete<T = any>(path: string): Promise<TestResponse<T>>;
  /** For a test that picks the method at run time. */
  send<T = any>(method: string, path: string, body?: unknown): Promise<TestResponse<T>>;
}

type Request = <T>(path: string, options?: RequestOptions) => Promise<TestResponse<T>>;

/** Requests to a running server at `baseUrl` (in-process or a child process): JSON unless the body is a string or Buffer. */
export function httpRequester(baseUrl: string): Request {
  return async <T>(path: string, options: RequestOptions = {}): Promise<TestResponse<T>> => {
    const isRaw = typeof options.body === 'string' || Buffer.isBuffer(options.body);
    const response = await fetch(baseUrl + path, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(options.body !== undefined && !isRaw ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body:
        options.body === undefined
          ? undefined
          : isRaw
            ? (options.body as string | Buffer)
            : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      body = text as T;
    }
    return { status: response.status, headers: response.headers, body, text };
  };
}

/** A client for the API under `base` (`/api/crm`, `/api/automations`) with the given headers. */
export function tenantClient(request: Request, base: string, headers: Record<string, string>): TenantClient {
  const send = <T>(method: string, path: string, body?: unknown) =>
    request<T>(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  return {
    send,
    get: (path) => send('GET', path),
    post: (path, body) => send('POST', path, body),
    put: (path, body) => send('PUT', path, body),
    patch: (path, body) => send('PATCH', path, body),
    delete: (path) => send('DELETE', path),
  };
}

/** The `data` of a `{ success, data }` envelope, or an error with the response when the status is not `status`. */
export function dataOf<T = any>(response: TestResponse, status = 200): T {
  if (response.status !== status)
    throw new Error(`Expected HTTP ${status}, got ${response.status}: ${response.text}`);
  return response.body.data as T;
}
