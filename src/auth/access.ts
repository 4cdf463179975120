import { AppError } from '../http/app-error.js';
import { grantsToScopes, type Permission, type RecordPermission, type Scope } from './permissions.js';

/**
 * Which leads a caller reaches with one record permission: every lead, or the leads assigned to
 * these agents (a user's own agent profile; with a team scope, their teammates' too).
 */
export type Visibility =
  { readonly all: true } | { readonly all: false; readonly agentIds: readonly string[] };

export const everyLead: Visibility = { all: true };

/** Who did something, as the activity log and the platform audit record it. */
export type Actor =
  | { type: 'user'; id: string; name: string }
  | { type: 'api_key'; id: string; name: string }
  | { type: 'system'; id: null; name: string };

/**
 * What a caller may do: the permissions of its role with their scopes, and the agents those
 * scopes reach. An API key acting as its tenant has every permission over every lead.
 */
export class Access {
  private constructor(
    private readonly scopes: ReadonlyMap<Permission, Scope>,
    private readonly agents: { own: readonly string[]; team: readonly string[] },
  ) {}

  private static everything?: Access;

  /** An API key acting as its tenant: everything, no visibility filter (one shared, immutable instance). */
  static tenantWide(): Access {
    return (Access.everything ??= new Access(
      grantsToScopes([
        'leads.read:all',
        'leads.write:all',
        'leads.assign:all',
        'leads.export:all',
        'pii.read',
        'pii.erase',
        'users.manage',
        'settings.manage',
        'automations.manage',
        'channels.manage',
      ]),
      { own: [], team: [] },
    ));
  }

  /**
   * A user's access: their role's grants; `ownAgentId` their agent profile; `teamAgentIds` the
   * agent profiles of everyone sharing a team with them (their own included or not).
   */
  static ofUser(
    grants: readonly string[],
    ownAgentId: string | null,
    teamAgentIds: readonly string[],
  ): Access {
    const own = ownAgentId ? [ownAgentId] : [];
    const team = [...new Set([...own, ...teamAgentIds])];
    return new Access(grantsToScopes(grants), { own, team });
  }

  can(permission: Permission): boolean {
    return this.scopes.has(permission);
  }

  scopeOf(permission: Permission): Scope | null {
    return this.scopes.get(permission) ?? null;
  }

  /** Refuses (403) a caller without `permission`. */
  require(permission: Permission): void {
    if (!this.can(permission)) {
      throw new AppError('forbidden', `Your role lacks the '${permission}' permission`, {
        details: { permission },
      });
    }
  }

  /** The leads `permission` reaches; none when it is not granted. */
  visibility(permission: RecordPermission = 'leads.read'): Visibility {
    const scope = this.scopes.get(permission);
    if (scope === 'all') return everyLead;
    if (scope === 'team') return { all: false, agentIds: this.agents.team };
    if (scope === 'own') return { all: false, agentIds: this.agents.own };
    return { all: false, agentIds: [] };
  }

  /** Whether `permission` reaches a lead assigned to `agentId` (null: unassigned). */
  reaches(permission: RecordPermission, agentId: string | null): boolean {
    const visibility = this.visibility(permission);
    return visibility.all || (agentId !== null && visibility.agentIds.includes(agentId));
  }

  /** Whether phone numbers and email addresses are shown unmasked. */
  get seesPii(): boolean {
    return this.can('pii.read');
  }

  /** The grants, for `GET /api/auth/me` and access tokens' consumers. */
  grants(): string[] {
    return [...this.scopes].map(([permission, scope]) =>
      permission.startsWith('leads.') ? `${permission}:${scope}` : permission,
    );
  }
}
