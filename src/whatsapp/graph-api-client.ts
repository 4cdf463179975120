/** An error answer of the Graph API (`{ error: { message, type, code, error_subcode, ... } }`). */
export class GraphApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: number | undefined,
    readonly details: unknown,
  ) {
    super(message);
    this.name = 'GraphApiError';
  }
}

export interface MediaInfo {
  id: string;
  url: string;
  mime_type: string;
  sha256?: string;
  file_size?: number;
}

export interface GraphTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category?: string;
  parameter_format?: string;
  components?: unknown[];
}

export interface SendResult {
  wamid: string;
  waId?: string;
}

/** The slice of the WhatsApp Cloud API (Graph API) Switchyard uses, for one tenant's credentials. */
export class GraphApiClient {
  constructor(private readonly options: { baseUrl: string; version: string; accessToken: string }) {}

  /** `POST /{version}/{phone_number_id}/messages`; `message` is the type-specific part of the body. */
  async sendMessage(
    phoneNumberId: string,
    to: string,
    message: Record<string, unknown>,
  ): Promise<SendResult> {
    const answer = await this.call<{ contacts?: { wa_id?: string }[]; messages?: { id: string }[] }>(
      'POST',
      `/${encodeURIComponent(phoneNumberId)}/messages`,
      { messaging_product: 'whatsapp', recipient_type: 'individual', to, ...message },
    );
    const wamid = answer.messages?.[0]?.id;
    if (!wamid) throw new GraphApiError('The send answer carries no message id', 502, undefined, answer);
    return { wamid, waId: answer.contacts?.[0]?.wa_id };
  }

  /**
   * `POST /{version}/{phone_number_id}/media` (multipart: `messaging_product`, `file`, `type`):
   * uploads a file for sending by id; answers the media id.
   */
  async uploadMedia(
    phoneNumberId: string,
    file: { data: Buffer; mimeType: string; filename: string },
  ): Promise<{ id: string }> {
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', file.mimeType);
    form.set('file', new Blob([new Uint8Array(file.data)], { type: file.mimeType }), file.filename);
    const response = await fetch(
      `${this.options.baseUrl}/${this.options.version}/${encodeURIComponent(phoneNumberId)}/media`,
      { method: 'POST', headers: { authorization: `Bearer ${this.options.accessToken}` }, body: form },
    );
    if (!response.ok) throw await toGraphError(response);
    const answer = (await response.json()) as { id?: string };
    if (!answer.id) throw new GraphApiError('The upload answer carries no media id', 502, undefined, answer);
    return { id: answer.id };
  }

  /** `GET /{version}/{media_id}`: a short-lived download URL and the media's metadata. */
  getMedia(mediaId: string): Promise<MediaInfo> {
    return this.call<MediaInfo>('GET', `/${encodeURIComponent(mediaId)}`);
  }

  /** Downloads a media URL (it needs the same bearer token). A 404 means the URL expired. */
  async download(url: string): Promise<Buffer> {
    const response = await fetch(url, { headers: { authorization: `Bearer ${this.options.accessToken}` } });
    if (!response.ok) throw await toGraphError(response);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Every message template of a WABA, following the cursor paging. */
  async listTemplates(wabaId: string, pageSize = 100): Promise<GraphTemplate[]> {
    const templates: GraphTemplate[] = [];
    let after: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(pageSize), ...(after ? { after } : {}) });
      const page = await this.call<{
        data: GraphTemplate[];
        paging?: { cursors?: { after?: string }; next?: string };
      }>('GET', `/${encodeURIComponent(wabaId)}/message_templates?${query}`);
      templates.push(...page.data);
      after = page.paging?.next ? page.paging.cursors?.after : undefined;
    } while (after);
    return templates;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.options.baseUrl}/${this.options.version}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.options.accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await toGraphError(response);
    return (await response.json()) as T;
  }
}

async function toGraphError(response: Response): Promise<GraphApiError> {
  const text = await response.text();
  let error: { message?: string; code?: number } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { message?: string; code?: number } }).error;
  } catch {
    error = undefined;
  }
  return new GraphApiError(
    error?.message ?? `Graph API answered ${response.status}`,
    response.status,
    error?.code,
    error ?? text.slice(0, 500),
  );
}
