import type { Kysely } from 'kysely';

/** One Postgres server (a pg pool, or the embedded PGlite instance) shared by every schema on it. */
export interface DatabaseServer {
  readonly kind: 'postgres' | 'pglite';
  /** Stable identity of the server (its URL without password, or the embedded data dir). */
  readonly label: string;
  readonly db: Kysely<any>;
  /** Subscribes to NOTIFY on a channel; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Closes the connections, waiting for those in use to be given back; with `graceMs`, those still in
   * use after it are cut (the server rolls back their transactions) and the close waits no more.
   * The embedded PGlite has one in-process connection, nothing to cut: it ignores `graceMs`.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}
