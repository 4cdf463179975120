import type { Logger } from 'pino';
import type { Lead } from './lead.schemas.js';

export type LeadEventName =
  | 'lead.created'
  | 'lead.updated'
  | 'lead.assigned'
  | 'lead.unassigned'
  | 'lead.status_changed'
  | 'lead.tags_added'
  | 'lead.tags_removed'
  | 'lead.whatsapp_message_received';

export interface LeadEvent {
  name: LeadEventName;
  tenantId: string;
  lead: Lead;
  /**
   * Event-specific facts: `{ from, to }` for a status change, `{ tags }` for tag changes,
   * `{ conversationId, messageId, type, body }` for a WhatsApp message received.
   */
  data?: Record<string, unknown>;
}

export type LeadEventListener = (event: LeadEvent) => void | Promise<void>;

/**
 * The one place lead lifecycle events are published, after their transaction commits.
 * Realtime forwards them to dashboards; the automations engine subscribes here too.
 * A failing listener is logged and never affects the request or other listeners.
 */
export class LeadEvents {
  private readonly listeners = new Set<LeadEventListener>();

  constructor(private readonly logger: Logger) {}

  subscribe(listener: LeadEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(events: LeadEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        Promise.resolve()
          .then(() => listener(event))
          .catch((error: unknown) =>
            this.logger.error(
              { err: error, event: event.name, leadId: event.lead.id },
              'lead event listener failed',
            ),
          );
      }
    }
  }
}
