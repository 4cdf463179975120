import { sql } from 'kysely';
import type { TenantDb } from '../../db/tenant-database.js';
import { AppError } from '../../http/app-error.js';
import { pageOf, type Keyset, type Page } from '../../http/pagination.js';
import type { CreateRoleInput, Role, UpdateRoleInput } from './role.schemas.js';

function selectRoles(db: TenantDb) {
  return db
    .selectFrom('roles as r')
    .select([
      'r.id',
      'r.key',
      'r.name',
      'r.description',
      'r.grants',
      'r.built_in',
      'r.created_at',
      'r.updated_at',
      (eb) =>
        eb
          .selectFrom('users as u')
          .select(eb.fn.countAll<string>().as('n'))
          .whereRef('u.role_id', '=', 'r.id')
          .as('user_count'),
    ]);
}

type RoleRow = Awaited<ReturnType<ReturnType<typeof selectRoles>['executeTakeFirstOrThrow']>>;

const toRole = (row: RoleRow): Role => ({
  id: row.id,
  key: row.key,
  name: row.name,
  description: row.description,
  grants: row.grants,
  builtIn: row.built_in,
  userCount: Number(row.user_count ?? 0),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const rolesKeyset: Keyset = { list: 'roles', columns: [['r.key', 'text']], direction: 'asc' };

/** Built-in and custom roles by key, with how many users have each. */
export function listRoles(db: TenantDb, page: { limit: number; cursor?: string }): Promise<Page<Role>> {
  return pageOf(selectRoles(db), rolesKeyset, page, toRole);
}

export async function findRole(db: TenantDb, key: string): Promise<Role | undefined> {
  const row = await selectRoles(db).where('r.key', '=', key).executeTakeFirst();
  return row && toRole(row);
}

/** Each grant once, in a stable order. */
const normalise = (grants: readonly string[]) => [...new Set(grants)].sort();

export async function insertRole(db: TenantDb, input: CreateRoleInput): Promise<void> {
  const row = await db
    .insertInto('roles')
    .values({
      key: input.key,
      name: input.name,
      description: input.description ?? null,
      grants: normalise(input.grants),
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) {
    throw new AppError('conflict', `A role with the key '${input.key}' already exists`, {
      details: { field: 'key' },
    });
  }
}

const builtInReadOnly = (key: string) =>
  new AppError(
    'conflict',
    `'${key}' is a built-in role and cannot be changed or deleted: create a custom role`,
    {
      details: { reason: 'built_in_role', key },
    },
  );

/** The custom role locked for a change; 404 when absent, 409 for a built-in one. */
async function lockCustomRole(db: TenantDb, key: string): Promise<{ id: string }> {
  const row = await db
    .selectFrom('roles')
    .select(['id', 'built_in'])
    .where('key', '=', key)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw AppError.notFound('Role', { key });
  if (row.built_in) throw builtInReadOnly(key);
  return row;
}

export async function updateRole(db: TenantDb, key: string, patch: UpdateRoleInput): Promise<void> {
  const { id } = await lockCustomRole(db, key);
  await db
    .updateTable('roles')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.grants !== undefined ? { grants: normalise(patch.grants) } : {}),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .execute();
}

/** Deletes a custom role no user has (409 naming how many have it otherwise). */
export async function deleteRole(db: TenantDb, key: string): Promise<void> {
  const { id } = await lockCustomRole(db, key);
  const inUse = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('role_id', '=', id)
    .executeTakeFirstOrThrow();
  if (Number(inUse.n) > 0) {
    throw new AppError(
      'conflict',
      `${inUse.n} user(s) have the role '${key}': give them another role first`,
      {
        details: { reason: 'role_in_use', userCount: Number(inUse.n) },
      },
    );
  }
  // A user given the role meanwhile makes this a foreign-key violation: a 409 as well.
  await db.deleteFrom('roles').where('id', '=', id).execute();
}
