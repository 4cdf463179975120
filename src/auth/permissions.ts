import { z } from 'zod';

/**
 * The closed list of permissions a role can grant. A record permission is granted with a scope
 * (`leads.read:team`): which leads it reaches. The others are granted whole (`users.manage`).
 */
export const permissionCatalogue = {
  'leads.read': {
    scoped: true,
    description: 'See leads and what hangs off them (notes, timeline, messages)',
  },
  'leads.write': { scoped: true, description: 'Create, change, note, archive and message leads' },
  'leads.assign': { scoped: true, description: 'Assign and reassign leads to agents' },
  'leads.export': { scoped: true, description: 'Export and bulk-read leads' },
  'pii.read': { scoped: false, description: 'See phone numbers and email addresses unmasked' },
  'pii.erase': {
    scoped: false,
    description: "Erase a person's personal data from a lead and what hangs off it (POST /leads/:id/erase)",
  },
  'users.manage': { scoped: false, description: 'Invite, change and disable users; teams; roles; agents' },
  'settings.manage': {
    scoped: false,
    description: 'Tenant settings: scoring, assignment rules, cohorts, templates, jobs, API keys',
  },
  'automations.manage': { scoped: false, description: 'Automation rules, runs and trigger events' },
  'channels.manage': { scoped: false, description: 'WhatsApp, email and calendar channels and campaigns' },
} as const;

export type Permission = keyof typeof permissionCatalogue;
export type RecordPermission = {
  [K in Permission]: (typeof permissionCatalogue)[K]['scoped'] extends true ? K : never;
}[Permission];
export type Scope = 'own' | 'team' | 'all';

export const permissions = Object.keys(permissionCatalogue) as Permission[];
const scopeRank: Record<Scope, number> = { own: 1, team: 2, all: 3 };

/** A grant as roles store it: `leads.read:own`, `pii.read`. */
export const grantSchema = z.string().superRefine((grant, ctx) => {
  if (!parseGrant(grant)) {
    ctx.addIssue({
      code: 'custom',
      message: `Unknown grant '${grant}': use a permission (${permissions.join(', ')}), record permissions with :own, :team or :all`,
    });
  }
});

export function parseGrant(grant: string): { permission: Permission; scope: Scope } | null {
  const [name, scope, ...rest] = grant.split(':');
  if (rest.length > 0 || !name || !Object.hasOwn(permissionCatalogue, name)) return null;
  const permission = name as Permission;
  if (!permissionCatalogue[permission].scoped)
    return scope === undefined ? { permission, scope: 'all' } : null;
  return scope === 'own' || scope === 'team' || scope === 'all' ? { permission, scope } : null;
}

/** The widest scope each permission is granted with (a permission not granted is absent). */
export function grantsToScopes(grants: readonly string[]): Map<Permission, Scope> {
  const scopes = new Map<Permission, Scope>();
  for (const grant of grants) {
    const parsed = parseGrant(grant);
    if (!parsed) continue;
    const current = scopes.get(parsed.permission);
    if (!current || scopeRank[parsed.scope] > scopeRank[current]) scopes.set(parsed.permission, parsed.scope);
  }
  return scopes;
}
