import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHandle } from '../testing/job-context.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

const limit = 1_500_000; // above one stored part (1 MB), so a refused upload has had parts to remove

/** A CSV of about `bytes` bytes with a valid header. */
function csvOfSize(bytes: number): Buffer {
  const lines = ['Name,Mobile'];
  for (let i = 0, size = 0; size < bytes; i++) {
    const line = `Lead ${i},98${String(i).padStart(8, '0')}`;
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n') + '\n');
}

interface Answer {
  status: number;
  body: any;
}

/** Sends `body` with `Transfer-Encoding: chunked` in 16 KB writes; stops writing once answered. */
function chunkedUpload(t: TestApp, tenant: TestTenant, type: string, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${t.baseUrl}/api/crm/leads/import?mode=background`, {
      method: 'POST',
      headers: { ...tenant.headers, 'content-type': type, 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
    });
    // The server closes the connection after refusing: the writes still in flight may fail.
    req.on('error', (error) => !answered && reject(error));
    void (async () => {
      for (let at = 0; at < body.length && !answered && !req.destroyed; at += 16 * 1024) {
        if (!req.write(body.subarray(at, at + 16 * 1024))) {
          await new Promise((drained) => {
            req.once('drain', drained);
            req.once('close', drained);
          });
        }
      }
      if (!answered && !req.destroyed) req.end();
    })();
  });
}

function multipartOf(csv: Buffer): { type: string; body: Buffer } {
  const boundary = 'switchyard-test-boundary';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="leads.csv"\r\nContent-Type: text/csv\r\n\r\n`;
  return {
    type: `multipart/form-data; boundary=${boundary}`,
    body: Buffer.concat([Buffer.from(head), csv, Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}

describe('import upload size limit (IMPORT_MAX_BYTES)', () => {
  let t: TestApp;

  const storedFiles = (tenant: TestTenant): string[] => {
    const dir = join(t.config.database.dataDir, 'media', 'tenants', tenant.tenant.clientCode, 'imports');
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  };
  const importRows = async (tenant: TestTenant) => {
    const { db } = await tenantHandle(t, tenant.tenant.id);
    return db.selectFrom('imports').select(['status', 'bytes']).execute();
  };
  const expectRefused = (answer: Answer) => {
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('payload_too_large');
    expect(answer.body).toMatchObject({ success: false });
    expect(answer.body.message).toMatch(/import limit of 1500000 bytes/);
  };

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web', IMPORT_MAX_BYTES: String(limit) });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('refuses a chunked text/csv upload over the limit while it streams, leaving nothing stored', async () => {
    const tenant = await t.createTenant('sizecsv', { defaultCountry: 'IN' });
    expectRefused(await chunkedUpload(t, tenant, 'text/csv', csvOfSize(3 * limit)));
    expect(storedFiles(tenant)).toEqual([]);
    expect(await importRows(tenant)).toEqual([]);
  });

  it('refuses a chunked multipart upload over the limit the same way', async () => {
    const tenant = await t.createTenant('sizeform', { defaultCountry: 'IN' });
    const form = multipartOf(csvOfSize(3 * limit));
    expectRefused(await chunkedUpload(t, tenant, form.type, form.body));
    expect(storedFiles(tenant)).toEqual([]);
    expect(await importRows(tenant)).toEqual([]);
  });

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    const tenant = await t.createTenant('sizelength', { defaultCountry: 'IN' });
    const refused = await t.request('/api/crm/leads/import?mode=background', {
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body: csvOfSize(2 * limit),
    });
    expectRefused(refused);
    expect(await importRows(tenant)).toEqual([]);
  });

  it('accepts a chunked upload under the limit', async () => {
    const tenant = await t.createTenant('sizeok', { defaultCountry: 'IN' });
    const csv = csvOfSize(limit - 100_000);
    const accepted = await chunkedUpload(t, tenant, 'text/csv', csv);
    expect(accepted.status).toBe(202);
    expect(accepted.body.data).toMatchObject({ status: 'queued', bytes: csv.length });
    expect(storedFiles(tenant)).toHaveLength(2);
  });
});
