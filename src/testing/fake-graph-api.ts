import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GraphRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: any;
}

/** A file uploaded with `POST /{phone-number-id}/media`, as the fake received it. */
export interface FakeUpload {
  id: string;
  phoneNumberId: string;
  messagingProduct: string | null;
  type: string | null;
  filename: string | null;
  body: Buffer;
}

export interface FakeTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  parameter_format?: string;
  components: unknown[];
}

/**
 * A local server speaking the WhatsApp Cloud API (Graph API) formats Switchyard uses:
 * sends, media lookup + download, template listing with cursor paging, and error answers.
 */
export class FakeGraphApi {
  readonly requests: GraphRequest[] = [];
  /** Errors returned by the next sends, in order: `{ status, code, message }`. */
  readonly sendErrors: { status: number; code: number; message: string }[] = [];
  readonly media = new Map<string, { body: Buffer; mimeType: string }>();
  /** Media uploads, in order (each also readable by id through `media`). */
  readonly uploads: FakeUpload[] = [];
  /** How many media downloads still answer 404 (an expired URL). */
  expiredDownloads = 0;
  templates: FakeTemplate[] = [];
  pageSize = 2;
  private sent = 0;
  private uploaded = 0;
  private server!: Server;
  baseUrl = '';

  constructor(readonly accessToken: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, {
          'content-type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json',
        });
        res.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  addMedia(id: string, body: Buffer, mimeType: string): string {
    this.media.set(id, { body, mimeType });
    return createHash('sha256').update(body).digest('hex');
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url!, this.baseUrl);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const contentType = req.headers['content-type'] ?? '';
    const form = contentType.startsWith('multipart/form-data')
      ? await new Request(url, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: raw,
        }).formData()
      : undefined;
    const text = form ? '' : raw.toString('utf8');
    this.requests.push({
      method: req.method!,
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      body: form ? formFields(form) : text ? JSON.parse(text) : undefined,
    });
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
      return graphError(401, 190, 'Error validating access token: Session has expired');
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] === 'download' && parts[1]) {
      if (this.expiredDownloads > 0) {
        this.expiredDownloads--;
        return { status: 404, body: { error: { message: 'URL expired' } } };
      }
      const media = this.media.get(parts[1]);
      return media ? { status: 200, body: media.body } : { status: 404, body: {} };
    }
    const [version, object, edge] = parts;
    if (!version?.match(/^v\d+\.\d+$/) || !object) return graphError(400, 100, 'Unknown path');
    if (req.method === 'POST' && edge === 'media') return this.upload(object, form);
    if (req.method === 'POST' && edge === 'messages') {
      const error = this.sendErrors.shift();
      if (error) return graphError(error.status, error.code, error.message);
      const body = JSON.parse(text) as {
        to: string;
        type?: string;
        document?: { id?: string; link?: string };
      };
      if (body.type === 'document' && !body.document?.id && !body.document?.link) {
        return graphError(400, 100, '(#100) Param document must have an id or a link');
      }
      if (body.type === 'document' && body.document?.id && !this.media.has(body.document.id)) {
        return graphError(400, 100, `(#100) Invalid parameter: unknown media id ${body.document.id}`);
      }
      return {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          contacts: [{ input: body.to, wa_id: body.to }],
          messages: [{ id: `wamid.SENT${++this.sent}`, message_status: 'accepted' }],
        },
      };
    }
    if (req.method === 'GET' && edge === 'message_templates') {
      const after = Number(url.searchParams.get('after') ?? 0);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 25), this.pageSize);
      const data = this.templates.slice(after, after + limit);
      const more = after + limit < this.templates.length;
      return {
        status: 200,
        body: {
          data,
          paging: {
            cursors: { before: String(after), after: String(after + limit) },
            ...(more
              ? { next: `${this.baseUrl}/${version}/${object}/message_templates?after=${after + limit}` }
              : {}),
          },
        },
      };
    }
    if (req.method === 'GET' && !edge) {
      const media = this.media.get(object);
      if (!media) return graphError(400, 100, 'Unsupported get request');
      return {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          url: `${this.baseUrl}/download/${object}`,
          mime_type: media.mimeType,
          sha256: createHash('sha256').update(media.body).digest('hex'),
          file_size: media.body.length,
          id: object,
        },
      };
    }
    return graphError(400, 100, 'Unknown path');
  }

  /** As Meta: multipart with `messaging_product=whatsapp`, `file` and `type`; answers `{ id }`. */
  private async upload(phoneNumberId: string, form: FormData | undefined) {
    if (!form) return graphError(400, 100, '(#100) The parameter file is required');
    const file = form.get('file');
    if (form.get('messaging_product') !== 'whatsapp') {
      return graphError(400, 100, '(#100) The parameter messaging_product is required');
    }
    if (!(file instanceof Blob)) return graphError(400, 100, '(#100) The parameter file is required');
    const type = form.get('type');
    if (typeof type !== 'string' || !type) return graphError(400, 100, '(#100) Param type is required');
    const id = `${4_000_000_000 + ++this.uploaded}`;
    const body = Buffer.from(await file.arrayBuffer());
    this.media.set(id, { body, mimeType: type });
    this.uploads.push({
      id,
      phoneNumberId,
      messagingProduct: 'whatsapp',
      type,
      filename: file instanceof File ? file.name : null,
      body,
    });
    return { status: 200, body: { id } };
  }
}

/** A multipart body as the request log keeps it: strings as they are, files by name, type and size. */
function formFields(form: FormData): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of form.entries()) {
    fields[name] =
      typeof value === 'string' ? value : { filename: value.name, type: value.type, size: value.size };
  }
  return fields;
}

function graphError(status: number, code: number, message: string) {
  return { status, body: { error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEf' } } };
}
