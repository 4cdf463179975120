import type { Kysely } from 'kysely';

export const platformSchema = 'platform';

/**
 * Tables of the services database (schema `platform`). Empty here: their owners (the queue, the
 * tenant registry, WhatsApp's routes) add them from their `*.tables.ts` by declaration merging.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PlatformDatabase {}

export type PlatformDb = Kysely<PlatformDatabase>;
