import type { Kysely } from 'kysely';

/**
 * Tables of one tenant's schema (`t_<code>`). Empty here: each component adds its own tables
 * from its `*.tables.ts` by declaration merging, so this plumbing imports no component.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TenantDatabase {}

export type TenantDb = Kysely<TenantDatabase>;
