import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fuzzPhoneNumberId,
  hash32,
  importRequests,
  operationsOf,
  requestsFor,
  webhookRequests,
  weightOf,
  type FuzzContext,
  type FuzzRequest,
  type Operation,
} from '../testing/api-fuzz.js';
import { dataOf } from '../testing/tenant-client.js';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import { testDatabaseKind } from '../testing/test-database.js';
import { errorCatalogue } from './error-catalogue.js';

/**
 * The fuzzing pass of issue 16: every operation in the OpenAPI document, called with requests built
 * from its schemas and broken in one place each (NUL and control characters, long strings, huge and
 * odd numbers, far dates, wrong types, deep nesting, empty and `null` bodies, unknown fields, junk
 * path and query parameters, truncated multipart, junk headers). Never a 5xx (503 included), every
 * 4xx in the envelope with a catalogue code, never a stack trace.
 *
 * Deterministic for a seed: `FUZZ_SEED=<n>` replays a run (the seed is printed), `FUZZ_REQUESTS`
 * sets the total (default 3700), `FUZZ_ONLY=<text>` keeps the operations whose `METHOD /path`
 * contains the text. Failures are collected and reported grouped by operation, status and cause,
 * each with its first request.
 */
// Under CI one known seed (the one that found the unbounded wabaId), so that a landing is judged on
// the same requests every time; elsewhere a new seed each run explores further.
const ciSeed = 1322366644;
const seed = Number(
  process.env.FUZZ_SEED ?? (process.env.CI === 'true' ? ciSeed : Math.floor(Math.random() * 2 ** 31)),
);
const total = Number(process.env.FUZZ_REQUESTS ?? 3700);
const only = process.env.FUZZ_ONLY;
const concurrency = 4;
const appSecret = 'fuzz-meta-app-secret';
const admin = { authorization: `Bearer ${testAdminToken}` };

interface Failure {
  request: FuzzRequest;
  status: number;
  why: string;
  text: string;
}

describe(`API fuzz (${testDatabaseKind}, FUZZ_SEED=${seed})`, () => {
  let t: TestApp;
  let tenant: TestTenant;
  let ctx: FuzzContext;
  let doc: any;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000000', META_APP_SECRET: appSecret });
    tenant = await t.createTenant(undefined, { defaultCountry: 'US' });
    const spare = await t.createTenant();
    doc = (await t.request('/api/openapi.json')).body;
    ctx = await realRecords(t, tenant, spare);
  }, 180_000);
  afterAll(() => t?.close());

  it(
    'answers every broken request with a 2xx or a 4xx in the envelope, never a 5xx or a stack',
    async () => {
      console.log(`API fuzz on ${testDatabaseKind}: FUZZ_SEED=${seed} FUZZ_REQUESTS=${total}`);
      const requests = plan(doc, ctx).filter((request) => !only || request.operation.includes(only));
      const failures: Failure[] = [];
      const statuses = new Map<number, number>();
      let next = 0;
      const worker = async () => {
        while (next < requests.length) {
          const index = next++;
          const { status, failure } = await send(t, tenant, requests[index]!, index);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (failure) failures.push(failure);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));

      // Still up, and nothing reached the prototypes every object of the process shares.
      expect((await t.request('/health/ready')).status).toBe(200);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();

      const byStatus = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
      console.log(
        `API fuzz on ${testDatabaseKind}: ${requests.length} requests, by status ${byStatus.join(', ')}`,
      );
      const report = grouped(failures);
      if (report.length > 0) {
        console.log(
          `API fuzz on ${testDatabaseKind} (FUZZ_SEED=${seed}): ${failures.length} of ${requests.length} requests failed, in ${report.length} groups:\n\n${report.join('\n\n')}`,
        );
      }
      expect(report.length, `FUZZ_SEED=${seed}: ${report.length} failure groups (printed above)`).toBe(0);
      expect(requests.length).toBeGreaterThan(only ? 0 : total * 0.9);
      // A generous bound that grows with FUZZ_REQUESTS (a slow request fails by its own 60 s abort).
    },
    Math.max(300_000, total * 60),
  );
});

/** Real records for path parameters: a lead, an agent, a contact, rules, a template, an import, a spare tenant's key. */
async function realRecords(t: TestApp, tenant: TestTenant, spare: TestTenant): Promise<FuzzContext> {
  const crm = t.crm(tenant);
  const automations = t.automations(tenant);
  const agent = dataOf(await crm.post('/agents', { name: 'Fuzz Agent', territories: ['Texas'] }), 201);
  const lead = dataOf(
    await crm.post('/leads', { name: 'Fuzz Lead', phone: '+14155550100', state: 'Texas', assign: true }),
    201,
  ).lead;
  dataOf(await crm.post(`/leads/${lead.id}/notes`, { body: 'a note' }), 201);
  const contact = dataOf(await crm.post('/contacts', { firstName: 'Fuzz', lastName: 'Contact' }), 201);
  const assignmentRule = dataOf(await crm.post('/assignment-rules', { name: 'fuzz rule' }), 201);
  const rule = dataOf(
    await automations.post('/rules', {
      name: 'Tag web forms',
      trigger: 'form_submitted',
      conditions: [],
      actions: [{ type: 'add_tag', tag: 'web-form' }],
      active: true,
    }),
    201,
  );
  const template = dataOf(
    await crm.post('/email/templates', {
      name: 'welcome',
      subject: 'Hi',
      html: '<p>Hi {{lead.firstName}}</p>',
    }),
    201,
  );
  await t.request('/api/crm/leads/import?mode=sync', {
    headers: { ...tenant.headers, 'content-type': 'text/csv' },
    body: 'phone,name\n+14155550101,Imported\n',
  });
  // Signed deliveries on the shared path and the tenant's own reach its intake (and the parser behind it).
  dataOf(
    await t.request(`/api/platform/tenants/${tenant.tenant.clientCode}/secrets/whatsapp`, {
      method: 'PUT',
      headers: admin,
      body: {
        wabaId: 'WABA-FUZZ-MAIN',
        phoneNumberIds: [fuzzPhoneNumberId],
        accessToken: 'x',
        verifyToken: 'fuzz-verify',
        appSecret,
      },
    }),
  );
  const key = dataOf(
    await t.request(`/api/platform/tenants/${spare.tenant.clientCode}/keys`, {
      headers: admin,
      body: { label: 'fuzz' },
    }),
    201,
  );
  const list = async (path: string, client = crm): Promise<string[]> => {
    const response = await client.get(path);
    const data = response.status === 200 ? response.body.data : [];
    const items: any[] = Array.isArray(data) ? data : (data?.items ?? data?.leads ?? data?.data ?? []);
    return items
      .map((item) => item?.id ?? item?.lead?.id)
      .filter((id): id is string => typeof id === 'string');
  };
  const ids: Record<string, string[]> = {
    leads: [lead.id],
    agents: [agent.id],
    contacts: [contact.id],
    'assignment-rules': [assignmentRule.id],
    rules: [rule.id],
    templates: [template.id],
    imports: await list('/imports'),
    jobs: await list('/jobs', automations),
    runs: await list('/runs', automations),
    conversations: await list('/conversations'),
    campaigns: await list('/email/campaigns'),
    meetings: await list('/meetings'),
  };
  return {
    ids,
    tenantCodes: [spare.tenant.clientCode],
    keyIds: [key.id],
    clientCode: tenant.tenant.clientCode,
    jsonMaxDepth: t.config.http.jsonMaxDepth,
  };
}

/** Capped operations: each valid call creates a tenant schema or re-encrypts every secret. */
const caps: Record<string, number> = {
  'POST /api/platform/tenants': 30,
  'POST /api/platform/secrets/rotate': 3,
  'POST /api/platform/tenants/{code}/suspend': 4,
  'GET /': 3,
  'GET /health/live': 3,
  'GET /health/ready': 3,
  'GET /api/openapi.json': 1,
};
const uploads = new Set(['POST /api/crm/leads/import']);
const webhooks = new Set(['POST /api/whatsapp/webhook', 'POST /api/whatsapp/webhook/{clientCode}']);

/** Every operation's requests, the total split by weight; deletes last so the real records serve the rest. */
function plan(doc: any, ctx: FuzzContext): FuzzRequest[] {
  const operations = operationsOf(doc);
  const weight = (operation: Operation) => {
    const name = `${operation.method} ${operation.path}`;
    if (uploads.has(name)) return 60;
    if (webhooks.has(name)) return 30;
    return weightOf(operation, doc);
  };
  const sum = operations.reduce((acc, operation) => acc + weight(operation), 0);
  const sign = (body: Buffer) => `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
  const requests = operations.map((operation) => {
    const name = `${operation.method} ${operation.path}`;
    const count = Math.min(
      caps[name] ?? Infinity,
      Math.max(4, Math.round((total * weight(operation)) / sum)),
    );
    const opSeed = (seed ^ hash32(name)) >>> 0;
    if (uploads.has(name)) return importRequests(operation.path, opSeed, count);
    if (webhooks.has(name)) return webhookRequests(operation.path, doc, ctx, sign, opSeed, count);
    return requestsFor(operation, doc, ctx, seed, count);
  });
  const order = (request: FuzzRequest) =>
    request.method === 'DELETE' ? 2 : request.operation.includes('suspend') ? 1 : 0;
  return requests.flat().sort((a, b) => order(a) - order(b));
}

const stackPattern = /\n\s+at |node_modules|\.ts:\d+:\d+|\.js:\d+:\d+/;

async function send(
  t: TestApp,
  tenant: TestTenant,
  request: FuzzRequest,
  index: number,
): Promise<{ status: number; failure?: Failure }> {
  const requestId = `fuzz-${index}`;
  const headers: Record<string, string> = {
    'x-request-id': requestId,
    ...(request.auth === 'tenant' ? tenant.headers : request.auth === 'platform' ? admin : {}),
    ...request.headers,
  };
  const hasBody = request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD';
  let status: number;
  let text: string;
  try {
    const response = await fetch(t.baseUrl + request.url, {
      method: request.method,
      headers,
      body: hasBody ? request.body : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    const why = `no answer: ${(error as Error).cause ?? (error as Error).message}`;
    return { status: 0, failure: { request, status: 0, why, text: '' } };
  }
  return { status, failure: verdict(t, request, requestId, status, text) };
}

function verdict(
  t: TestApp,
  request: FuzzRequest,
  requestId: string,
  status: number,
  text: string,
): Failure | undefined {
  const fail = (why: string) => ({ request, status, why, text });
  if (stackPattern.test(text)) return fail('stack trace in the body');
  if (unreachableDedicatedDatabase(request, status, text)) return undefined;
  // A request not read within HTTP_REQUEST_TIMEOUT_MS (about once in 4,000 on a sync CSV import
  // under the fuzzer's concurrency): a server that answers slowly, not a client's mistake turned into
  // an error. It is answered with the envelope (`request_timeout`), checked below like any 4xx.
  if (status >= 500) return fail(`${status} ${causeOf(t, requestId, text)}`);
  if (status >= 400) {
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      return fail(`${status} not JSON`);
    }
    const code = body?.error?.code as keyof typeof errorCatalogue | undefined;
    if (body?.success !== false || typeof body?.message !== 'string' || !code)
      return fail(`${status} not the error envelope`);
    if (!(code in errorCatalogue)) return fail(`${status} code ${code} not in the catalogue`);
    if (errorCatalogue[code].status !== status)
      return fail(`${status} with code ${code} (catalogue says ${errorCatalogue[code].status})`);
  }
  return undefined;
}

/**
 * The one 5xx that is not a client's mistake: a tenant created on a dedicated database server
 * (`databaseUrl`) that does not answer is refused with 503 `service_unavailable` (the server named
 * may come up; nothing is left half-made). The fuzzer's generated URLs point at a closed port.
 */
function unreachableDedicatedDatabase(request: FuzzRequest, status: number, text: string): boolean {
  return (
    request.operation === 'POST /api/platform/tenants' &&
    status === 503 &&
    text.includes('"service_unavailable"') &&
    text.includes("Could not provision the tenant's database")
  );
}

/** The logged error behind a 5xx (its body says only "Internal server error"). */
function causeOf(t: TestApp, requestId: string, text: string): string {
  const line = t.logs.find((log) => log.requestId === requestId && log.err);
  const err = line?.err as { type?: string; message?: string } | undefined;
  let code: string;
  try {
    code = String(JSON.parse(text).error.code);
  } catch {
    code = 'not JSON';
  }
  return `${code}${err ? `: ${err.type ?? ''} ${err.message ?? ''}` : ''}`;
}

/** Failures grouped by operation, status and cause (numbers and ids blanked), each with its count and first request. */
function grouped(failures: Failure[]): string[] {
  const groups = new Map<string, Failure[]>();
  for (const failure of failures) {
    const cause = failure.why
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
      .replace(/"[^"]*"/g, '"…"')
      .replace(/\d+/g, 'N')
      .slice(0, 160);
    const key = `${failure.request.operation} → ${cause}`;
    groups.set(key, [...(groups.get(key) ?? []), failure]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, list]) => {
      const first = list[0]!;
      const body =
        first.request.body === undefined
          ? '(none)'
          : Buffer.isBuffer(first.request.body)
            ? `${first.request.body.length} bytes: ${JSON.stringify(first.request.body.subarray(0, 200).toString('latin1'))}`
            : JSON.stringify(first.request.body.slice(0, 300));
      return [
        `[${list.length}×] ${key}`,
        `    e.g. ${first.request.mutation}`,
        `    ${first.request.method} ${first.request.url.slice(0, 300)}`,
        `    headers ${JSON.stringify(first.request.headers)}`,
        `    body ${body}`,
        `    answer ${first.status} ${first.text.slice(0, 300)}`,
      ].join('\n');
    });
}
