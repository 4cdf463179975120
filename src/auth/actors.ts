import type { Actor } from './access.js';

/** Work nobody started by a request (automations, retries, inbound channels), named for the log. */
export function systemActor(name: string): Actor {
  return { type: 'system', id: null, name };
}

/** An actor as rows store it: display name, type, id (rows older than types: the system). */
export function actorFromColumns(name: string | null, type: string | null, id: string | null): Actor {
  if ((type === 'user' || type === 'api_key') && id) return { type, id, name: name ?? '' };
  return systemActor(name ?? 'system');
}

/** The columns an actor is stored in (`actor`, `actor_type`, `actor_id`). */
export function actorColumns(actor: Actor | null): {
  actor: string | null;
  actor_type: Actor['type'] | null;
  actor_id: string | null;
} {
  return { actor: actor?.name ?? null, actor_type: actor?.type ?? null, actor_id: actor?.id ?? null };
}
