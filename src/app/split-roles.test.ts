import { randomBytes, randomUUID } from 'node:crypto';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import pg from 'pg';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../testing/test-database.js';
import { redisForTests, testRedisUrl } from '../testing/test-redis.js';
import { httpRequester } from '../testing/tenant-client.js';

const adminToken = 'split-roles-admin-token-0123456789';

interface Received {
  event: string;
  lead: { id: string; assignedAgentId: string | null };
}

/** `rows` leads with distinct 10-digit Indian mobile numbers starting with `prefix`. */
const csvOf = (rows: number, prefix: string) =>
  [
    'Name,Mobile',
    ...Array.from(
      { length: rows },
      (_, i) => `Lead ${i},${prefix}${String(i).padStart(10 - prefix.length, '0')}`,
    ),
  ]
    .join('\r\n')
    .concat('\r\n');

/** Talks to one web process as the tenant (or as the platform admin). */
/** The shared test requester on one process's port; a CSV body goes as text/csv. */
function client(port: number, headers: Record<string, string>) {
  const request = httpRequester(`http://127.0.0.1:${port}`);
  return (path: string, init: { method?: string; body?: unknown; csv?: string } = {}) =>
    request<any>(path, {
      method: init.method,
      headers: init.csv === undefined ? headers : { ...headers, 'content-type': 'text/csv' },
      body: init.csv ?? init.body,
    });
}

describe.runIf(testDatabaseKind === 'postgres')('split roles as deployed (Postgres and Redis)', () => {
  let available = false;
  let db: TestDatabase;
  const processes: ServerProcess[] = [];
  const sockets: Socket[] = [];
  let env: Record<string, string>;
  const start = (role: 'web' | 'worker') => {
    const started = startServerProcess({ ...env, ROLE: role });
    processes.push(started);
    return started;
  };

  beforeAll(async () => {
    available = await redisForTests('the split-role test');
    if (!available) return;
    db = await createTestDatabase();
    env = {
      DATABASE_URL: db.url!,
      DATA_DIR: db.dataDir,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      PLATFORM_ADMIN_TOKEN: adminToken,
      REDIS_URL: testRedisUrl,
      // Its own adapter channels: parallel runs on the shared Redis do not hear each other.
      REALTIME_REDIS_KEY: `switchyard-test-${randomUUID()}`,
    };
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all(processes.map((process) => process.stop()));
    await db?.drop();
  });

  const createTenant = async (port: number, code: string) => {
    const platform = client(port, { authorization: `Bearer ${adminToken}` });
    const created = await platform('/api/platform/tenants', {
      body: { code, name: code, defaultCountry: 'IN' },
    });
    expect(created.status).toBe(201);
    return { code, apiKey: created.body.data.apiKey.apiKey as string };
  };

  it('brings a background import and the assignments made by the worker to a dashboard on another web process', async (context) => {
    if (!available) context.skip();
    const [web1, web2, worker] = [start('web'), start('web'), start('worker')];
    const [port1, port2] = await Promise.all([web1.listening, web2.listening]);
    await worker.logged('job worker started');

    const tenant = await createTenant(port1, 'splitroles');
    const crm = client(port1, { 'x-client-code': tenant.code, 'x-api-key': tenant.apiKey });
    const socket = connectClient(`http://127.0.0.1:${port2}`, {
      auth: { clientCode: tenant.code, apiKey: tenant.apiKey },
      transports: ['websocket'],
      forceNew: true,
    });
    sockets.push(socket);
    const received: Received[] = [];
    socket.onAny((event: string, lead: Received['lead']) => received.push({ event, lead }));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const idsOf = (event: string) =>
      new Set(received.filter((entry) => entry.event === event).map((entry) => entry.lead.id));
    const leadIds = async () =>
      new Set(
        ((await crm('/api/crm/leads?limit=100')).body.data.items as { id: string }[]).map((lead) => lead.id),
      );
    const importInBackground = async (csv: string) => {
      const accepted = await crm('/api/crm/leads/import?mode=background', { csv });
      expect(accepted.status).toBe(202);
      const id = accepted.body.data.id as string;
      await expect
        .poll(async () => (await crm(`/api/crm/imports/${id}`)).body.data.status, { timeout: 30_000 })
        .toBe('completed');
      return (await crm(`/api/crm/imports/${id}`)).body.data as { created: number; failed: number };
    };

    // No agent yet: the worker inserts every row, and they wait unassigned.
    expect(await importInBackground(csvOf(25, '981'))).toMatchObject({ created: 25, failed: 0 });
    const waiting = await leadIds();
    expect(waiting.size).toBe(25);
    await expect.poll(() => idsOf('lead.created'), { timeout: 10_000 }).toEqual(waiting);
    await expect.poll(() => idsOf('lead.unassigned'), { timeout: 10_000 }).toEqual(waiting);

    // An agent becomes available: assign-pending gives it the waiting leads.
    const agent = (await crm('/api/crm/agents', { body: { name: 'Split Agent', available: false } })).body
      .data;
    expect(
      (await crm(`/api/crm/agents/${agent.id}`, { method: 'PATCH', body: { available: true } })).status,
    ).toBe(200);
    await expect.poll(() => idsOf('lead.assigned'), { timeout: 10_000 }).toEqual(waiting);

    // With the agent there, the worker assigns each row of the next import as it inserts it.
    expect(await importInBackground(csvOf(15, '982'))).toMatchObject({ created: 15, failed: 0 });
    const all = await leadIds();
    expect(all.size).toBe(40);
    await expect.poll(() => idsOf('lead.created'), { timeout: 10_000 }).toEqual(all);
    await expect.poll(() => idsOf('lead.assigned'), { timeout: 10_000 }).toEqual(all);
    expect(
      received
        .filter((entry) => entry.event === 'lead.assigned')
        .every((entry) => entry.lead.assignedAgentId === agent.id),
    ).toBe(true);

    for (const process of [web1, web2, worker]) expect(await process.stop()).toBe(0);
  }, 120_000);

  it('starts each role alone: a web process answers and queues, a worker alone runs the job', async (context) => {
    if (!available) context.skip();
    const web = start('web');
    const port = await web.listening;
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    const tenant = await createTenant(port, 'splitalone');
    const crm = client(port, { 'x-client-code': tenant.code, 'x-api-key': tenant.apiKey });
    const accepted = await crm('/api/crm/leads/import?mode=background', { csv: csvOf(5, '983') });
    expect(accepted.status).toBe(202);
    expect(await web.stop()).toBe(0);
    expect(web.logs.some((line) => line.msg === 'job worker started')).toBe(false);

    const worker = start('worker');
    await worker.logged('job worker started');
    // No web process to ask: the tenant's table says.
    const database = new pg.Client({ connectionString: db.url });
    await database.connect();
    const importStatus = async () => {
      const { rows } = await database.query<{ status: string }>(
        'select status from t_splitalone.imports where id = $1',
        [accepted.body.data.id],
      );
      return rows[0]?.status;
    };
    try {
      await expect.poll(importStatus, { timeout: 30_000 }).toBe('completed');
    } finally {
      await database.end();
    }
    expect(await worker.stop()).toBe(0);
    expect(worker.logs.some((line) => line.msg === 'listening')).toBe(false);
  }, 120_000);
});
