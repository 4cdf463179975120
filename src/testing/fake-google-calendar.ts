import { verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type CalendarEvent = Record<string, any>;

/**
 * A local server speaking Google's OAuth token endpoint and Calendar v3 events
 * insert/get, enough for Meet conference creation. `pendingPolls` makes new
 * conferences answer `pending` for that many reads before `success`.
 */
export class FakeGoogleCalendar {
  readonly events = new Map<string, CalendarEvent>();
  readonly requests: { method: string; path: string; authorization?: string; body?: any }[] = [];
  pendingPolls = 0;
  failConference = false;
  refreshTokens = new Set<string>();
  /** Service accounts' public keys by client email, for the JWT bearer grant. */
  serviceAccounts = new Map<string, KeyObject>();
  private readonly polls = new Map<string, number>();
  private server!: Server;
  baseUrl = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url!, this.baseUrl);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text
      ? req.headers['content-type']?.includes('json')
        ? JSON.parse(text)
        : Object.fromEntries(new URLSearchParams(text))
      : undefined;
    this.requests.push({
      method: req.method!,
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      body,
    });

    if (url.pathname === '/token' && body?.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return this.jwtBearerGrant(String(body.assertion), `${this.baseUrl}/token`);
    }
    if (url.pathname === '/token') {
      if (body?.grant_type !== 'refresh_token' || !this.refreshTokens.has(body.refresh_token)) {
        return {
          status: 400,
          body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
        };
      }
      return {
        status: 200,
        body: {
          access_token: `access-${body.refresh_token}`,
          expires_in: 3599,
          token_type: 'Bearer',
          scope: 'https://www.googleapis.com/auth/calendar.events',
        },
      };
    }
    if (!req.headers.authorization?.startsWith('Bearer access-')) {
      return {
        status: 401,
        body: {
          error: {
            code: 401,
            message: 'Request had invalid authentication credentials.',
            status: 'UNAUTHENTICATED',
          },
        },
      };
    }
    const match = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) return { status: 404, body: { error: { code: 404, message: 'Not Found' } } };
    const eventId = match[2];
    if (req.method === 'POST' && !eventId) {
      if (url.searchParams.get('conferenceDataVersion') !== '1')
        return { status: 200, body: { ...body, id: body.id ?? 'noconf' } };
      if (this.events.has(body.id))
        return {
          status: 409,
          body: { error: { code: 409, message: 'The requested identifier already exists.' } },
        };
      const event = {
        kind: 'calendar#event',
        status: 'confirmed',
        htmlLink: `https://www.google.com/calendar/event?eid=${body.id}`,
        ...body,
      };
      this.events.set(body.id, event);
      this.polls.set(body.id, this.pendingPolls);
      return { status: 200, body: this.view(body.id) };
    }
    if (req.method === 'GET' && eventId) {
      if (!this.events.has(eventId))
        return { status: 404, body: { error: { code: 404, message: 'Not Found' } } };
      this.polls.set(eventId, Math.max(0, (this.polls.get(eventId) ?? 0) - 1));
      return { status: 200, body: this.view(eventId) };
    }
    return { status: 405, body: { error: { code: 405, message: 'Method not allowed' } } };
  }

  /** The event as Calendar returns it, with the conference in its current state. */
  private view(eventId: string): CalendarEvent {
    const event = this.events.get(eventId)!;
    const createRequest = event.conferenceData?.createRequest;
    if (!createRequest) return event;
    const pending = (this.polls.get(eventId) ?? 0) > 0;
    const statusCode = pending ? 'pending' : this.failConference ? 'failure' : 'success';
    const code = `${eventId.slice(0, 3)}-${eventId.slice(3, 7)}-${eventId.slice(7, 10)}`;
    const meetUrl = `https://meet.google.com/${code}`;
    return {
      ...event,
      ...(statusCode === 'success' ? { hangoutLink: meetUrl } : {}),
      conferenceData: {
        createRequest: { ...createRequest, status: { statusCode } },
        ...(statusCode === 'success'
          ? {
              entryPoints: [
                { entryPointType: 'video', uri: meetUrl, label: meetUrl.slice(8) },
                {
                  entryPointType: 'phone',
                  uri: 'tel:+1-555-010-0199',
                  label: '+1 555-010-0199',
                  pin: '123456789',
                },
              ],
              conferenceSolution: { key: { type: 'hangoutsMeet' }, name: 'Google Meet' },
              conferenceId: code,
            }
          : {}),
      },
    };
  }

  /** Google's service-account token exchange: an RS256 assertion signed by a known account. */
  private jwtBearerGrant(assertion: string, audience: string): { status: number; body: unknown } {
    const refuse = (description: string) => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: description },
    });
    const [header, claims, signature] = assertion.split('.');
    if (!header || !claims || !signature) return refuse('Malformed assertion');
    const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    const { alg } = decode(header);
    const { iss, sub, aud, scope, exp } = decode(claims);
    const key = this.serviceAccounts.get(iss);
    if (alg !== 'RS256' || !key) return refuse('Invalid JWT: unknown issuer or algorithm');
    const signed = Buffer.from(`${header}.${claims}`);
    if (!verify('RSA-SHA256', signed, key, Buffer.from(signature, 'base64url')))
      return refuse('Invalid JWT Signature.');
    if (aud !== audience || !sub || !scope || exp * 1000 < Date.now()) return refuse('Invalid JWT claims');
    return {
      status: 200,
      body: { access_token: `access-sa-${sub}`, expires_in: 3599, token_type: 'Bearer' },
    };
  }
}
