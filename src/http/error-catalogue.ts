/**
 * Every error code the API answers, with its HTTP status and what it means to a client.
 * The list is closed: `ErrorCode` is exactly these keys and `AppError` takes its status
 * from here, so a code means the same status everywhere. A case that needs another status
 * needs its own code (add it here, with a line that says when a client sees it).
 */
export const errorCatalogue = {
  validation_failed: {
    status: 400,
    meaning: 'A field is not valid; details name each as body.x, query.x or params.x',
  },
  invalid_json: { status: 400, meaning: 'The request body is not valid JSON' },
  invalid_data: { status: 400, meaning: 'A value does not fit its field, or the body could not be read' },
  invalid_file: { status: 400, meaning: 'The uploaded file is not a CSV this import can read' },
  unauthorized: { status: 401, meaning: 'Credentials are missing or wrong' },
  invalid_signature: { status: 401, meaning: 'A webhook signature is missing or does not match' },
  forbidden: { status: 403, meaning: 'The caller may not do this (scope, suspended tenant, expired link)' },
  not_found: { status: 404, meaning: 'No such route or record' },
  media_not_available: { status: 404, meaning: 'The message exists but has no stored media (yet)' },
  conflict: { status: 409, meaning: 'The change collides with the current state (taken value, reference)' },
  invalid_status_transition: {
    status: 409,
    meaning: 'The record is in a status this change cannot start from',
  },
  backward_stage_move: {
    status: 409,
    meaning:
      'The pipeline is forward-only: a record moves to a later stage (reopening a won or lost one excepted)',
  },
  required_fields_missing: {
    status: 409,
    meaning: 'The stage requires fields the record has empty; details.missing names them',
  },
  reopen_required: {
    status: 409,
    meaning: 'The record is won or lost: leaving that stage needs "reopen": true and a reason',
  },
  channel_not_configured: {
    status: 409,
    meaning: 'The tenant has not set up the channel (SMTP, Google, Twilio) this needs',
  },
  outside_customer_service_window: {
    status: 409,
    meaning: 'WhatsApp free text is allowed only within 24 hours of the last inbound message',
  },
  template_not_approved: {
    status: 409,
    meaning: 'No approved WhatsApp template with this name and language',
  },
  call_not_allowed: {
    status: 409,
    meaning:
      'Calling this lead now breaks a compliance rule (calling hours, do-not-call, cooldown after an abandoned call, daily cap)',
  },
  call_rejected: {
    status: 422,
    meaning: 'The telephony provider refused the number called or the caller id',
  },
  campaign_finished: { status: 409, meaning: 'The campaign has already finished or been cancelled' },
  request_timeout: {
    status: 408,
    meaning:
      'The request did not arrive in full within the time limit (HTTP_REQUEST_TIMEOUT_MS); send it again',
  },
  payload_too_large: { status: 413, meaning: 'The request body exceeds the size limit' },
  headers_too_large: { status: 431, meaning: 'The request headers exceed the size the server reads' },
  unsupported_media_type: { status: 415, meaning: 'The content type or encoding is not accepted here' },
  rate_limited: {
    status: 429,
    meaning:
      'Too many requests for this tenant or client address, or too many failed logins (details.reason login_locked); retry after details.retryAfterSeconds',
  },
  internal_error: { status: 500, meaning: 'An unexpected failure on our side' },
  provider_error: { status: 502, meaning: 'An external provider (e.g. Google Calendar) refused the request' },
  smtp_error: { status: 502, meaning: "The tenant's SMTP server refused the message" },
  service_unavailable: { status: 503, meaning: 'A database or service this needs is not reachable' },
  database_unavailable: {
    status: 503,
    meaning: 'The database is not reachable right now (restart, failover, outage); retry after Retry-After',
    retryAfterSeconds: 5,
  },
} as const satisfies Record<string, CatalogueEntry>;

interface CatalogueEntry {
  status: number;
  meaning: string;
  /** Sent as the `Retry-After` header: the failure is temporary and the same request may succeed later. */
  retryAfterSeconds?: number;
}

export type ErrorCode = keyof typeof errorCatalogue;

export const errorCodes = Object.keys(errorCatalogue) as [ErrorCode, ...ErrorCode[]];

export function statusOf(code: ErrorCode): number {
  return errorCatalogue[code].status;
}

export function retryAfterOf(code: ErrorCode): number | undefined {
  const entry: CatalogueEntry = errorCatalogue[code];
  return entry.retryAfterSeconds;
}
