import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { PlatformDb } from '../../db/platform-database.js';
import type { TenantChanges } from '../../tenancy/tenant-changes.js';

export interface SessionRecord {
  id: string;
  /** null: a platform staff session. */
  tenantId: string | null;
  userId: string;
}

export type RefreshOutcome =
  | { ok: true; session: SessionRecord; refreshToken: string }
  | { ok: false; reason: 'unknown' | 'ended' | 'reused' };

const tokenPrefix = 'rt_';
/** How many successors a token within the grace window may be ahead of (tabs refreshing in turn). */
const maxSuccessorWalk = 5;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Login sessions and their refresh tokens (`platform.auth_sessions`, `platform.refresh_tokens`),
 * after Supabase Auth's refresh-token families: a session is a family; every refresh rotates
 * its token; a rotated token presented again revokes the whole family, unless it comes within
 * the grace window, when it gets the same successor as the first (two tabs refreshing at once
 * must not log the user out). The successor is derived from the token (HMAC with a server key),
 * so the grace path can answer it again while only hashes are stored.
 */
export class SessionStore {
  private readonly successorKey: Buffer;

  constructor(
    private readonly platform: PlatformDb,
    private readonly changes: TenantChanges,
    secretsKey: Buffer,
    private readonly options: { sessionTtlMs: number; refreshGraceMs: number },
  ) {
    this.successorKey = Buffer.from(
      hkdfSync('sha256', secretsKey, 'switchyard', 'refresh-token-successor', 32),
    );
  }

  /** A new session (one login) and its first refresh token. */
  async create(input: {
    tenantId: string | null;
    userId: string;
    userAgent?: string;
    ip?: string;
  }): Promise<{ session: SessionRecord; refreshToken: string }> {
    const refreshToken = tokenPrefix + randomBytes(32).toString('base64url');
    return this.platform.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('auth_sessions')
        .values({
          tenant_id: input.tenantId,
          user_id: input.userId,
          expires_at: new Date(Date.now() + this.options.sessionTtlMs),
          user_agent: input.userAgent?.slice(0, 500) ?? null,
          ip: input.ip ?? null,
          revoked_at: null,
          revoked_reason: null,
        })
        .returning(['id', 'tenant_id', 'user_id'])
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('refresh_tokens')
        .values({ token_hash: hashToken(refreshToken), session_id: row.id, rotated_at: null })
        .execute();
      return { session: { id: row.id, tenantId: row.tenant_id, userId: row.user_id }, refreshToken };
    });
  }

  /** Trades a refresh token for its successor (see the class comment for reuse and grace). */
  async refresh(refreshToken: string): Promise<RefreshOutcome> {
    if (!refreshToken.startsWith(tokenPrefix) || refreshToken.length > 200)
      return { ok: false, reason: 'unknown' };
    const graceSeconds = this.options.refreshGraceMs / 1000;
    const outcome = await this.platform.transaction().execute(async (trx): Promise<RefreshOutcome> => {
      // The row lock makes concurrent refreshes of one token take turns: the first rotates, the
      // others find it rotated a moment ago and answer the same successor.
      let token = refreshToken;
      for (let step = 0; step <= maxSuccessorWalk; step++) {
        const row = await trx
          .selectFrom('refresh_tokens as r')
          .innerJoin('auth_sessions as s', 's.id', 'r.session_id')
          .select([
            's.id',
            's.tenant_id',
            's.user_id',
            's.revoked_at',
            'r.rotated_at',
            sql<boolean>`s.expires_at <= now()`.as('expired'),
            sql<boolean>`r.rotated_at > now() - make_interval(secs => ${graceSeconds})`.as('within_grace'),
          ])
          .where('r.token_hash', '=', hashToken(token))
          .forUpdate('r')
          .executeTakeFirst();
        if (!row) return { ok: false, reason: step === 0 ? 'unknown' : 'reused' };
        const session = { id: row.id, tenantId: row.tenant_id, userId: row.user_id };
        if (row.revoked_at || row.expired) return { ok: false, reason: 'ended' };
        // Reached by following a token rotated within the grace window: this is the family's
        // current token, answered as the first refresh answered it.
        if (step > 0 && !row.rotated_at) return { ok: true, session, refreshToken: token };
        const successor = this.successorOf(token);
        if (!row.rotated_at) {
          await trx
            .updateTable('refresh_tokens')
            .set({ rotated_at: sql<Date>`now()` })
            .where('token_hash', '=', hashToken(token))
            .execute();
          await trx
            .insertInto('refresh_tokens')
            .values({ token_hash: hashToken(successor), session_id: session.id, rotated_at: null })
            .onConflict((oc) => oc.column('token_hash').doNothing())
            .execute();
          await trx
            .updateTable('auth_sessions')
            .set({ refreshed_at: sql<Date>`now()` })
            .where('id', '=', session.id)
            .execute();
          return { ok: true, session, refreshToken: successor };
        }
        if (!row.within_grace) {
          await this.revokeWithin(trx, session.id, 'refresh_token_reused');
          return { ok: false, reason: 'reused' };
        }
        // Rotated a moment ago by a concurrent refresh: follow to the family's current token.
        token = successor;
      }
      return { ok: false, reason: 'reused' };
    });
    if (!outcome.ok && outcome.reason === 'reused') await this.announce(refreshToken);
    return outcome;
  }

  /** The session a refresh token belongs to (any state), for logout. */
  async sessionOf(refreshToken: string): Promise<SessionRecord | null> {
    const row = await this.platform
      .selectFrom('refresh_tokens as r')
      .innerJoin('auth_sessions as s', 's.id', 'r.session_id')
      .select(['s.id', 's.tenant_id', 's.user_id'])
      .where('r.token_hash', '=', hashToken(refreshToken))
      .executeTakeFirst();
    return row ? { id: row.id, tenantId: row.tenant_id, userId: row.user_id } : null;
  }

  /** Ends one session (logout): its refresh tokens and its access tokens stop working at once. */
  async revoke(sessionId: string, reason: string): Promise<void> {
    await this.changes.inTransaction(this.platform, async (trx, announce) => {
      const tenantId = await this.revokeWithin(trx, sessionId, reason);
      if (tenantId) await announce(tenantId);
    });
  }

  /** Ends a user's sessions (password changed, user disabled), but `exceptSessionId`. */
  async revokeUser(
    tenantId: string | null,
    userId: string,
    reason: string,
    exceptSessionId?: string,
  ): Promise<void> {
    await this.changes.inTransaction(this.platform, async (trx, announce) => {
      let query = trx
        .updateTable('auth_sessions')
        .set({ revoked_at: sql<Date>`now()`, revoked_reason: reason })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null);
      query =
        tenantId === null ? query.where('tenant_id', 'is', null) : query.where('tenant_id', '=', tenantId);
      if (exceptSessionId) query = query.where('id', '<>', exceptSessionId);
      await query.execute();
      if (tenantId) await announce(tenantId);
    });
  }

  /** Whether a session is live (not revoked, not past its end). */
  async isLive(sessionId: string): Promise<SessionRecord | null> {
    const row = await this.platform
      .selectFrom('auth_sessions')
      .select(['id', 'tenant_id', 'user_id'])
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row ? { id: row.id, tenantId: row.tenant_id, userId: row.user_id } : null;
  }

  private successorOf(token: string): string {
    return tokenPrefix + createHmac('sha256', this.successorKey).update(token).digest('base64url');
  }

  private async revokeWithin(trx: PlatformDb, sessionId: string, reason: string): Promise<string | null> {
    const row = await trx
      .updateTable('auth_sessions')
      .set({ revoked_at: sql<Date>`now()`, revoked_reason: reason })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .returning('tenant_id')
      .executeTakeFirst();
    return row?.tenant_id ?? null;
  }

  /** Tells every process a session of this token's tenant ended (its cached access drops). */
  private async announce(refreshToken: string): Promise<void> {
    const session = await this.sessionOf(refreshToken);
    if (session?.tenantId) await this.changes.announce(this.platform, session.tenantId);
  }
}
