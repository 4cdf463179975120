import { sql } from 'kysely';
import type { PlatformDb } from '../../db/platform-database.js';
import { AppError } from '../../http/app-error.js';

export interface LoginThrottleOptions {
  /** Failures of one account before it is locked. */
  maxFailures: number;
  /** Failures from one client address (over every account) before it is locked. */
  addressMaxFailures: number;
  /** The first lock; each further failure doubles it, up to `maxLockMs`. */
  lockoutMs: number;
}

/** A lock never lasts longer than this. */
const maxLockMs = 86_400_000;
/** Failures older than this are forgotten: the next one counts from 1. */
const failureMemory = '1 day';

/** The keys one login attempt counts against. */
export interface LoginKeys {
  /** The account as typed (tenant code + lower-cased email): the same for unknown accounts. */
  account: string;
  /** The client address. */
  address: string;
}

export const tenantAccountKey = (clientCode: string, email: string) =>
  `account:${clientCode.toLowerCase()}:${email.trim().toLowerCase()}`;
/** A platform staff account: no tenant. */
export const platformAccountKey = (email: string) => `platform:${email.trim().toLowerCase()}`;
export const addressKey = (address: string) => `ip:${address}`;

/**
 * Failed logins per account and per client address (`platform.login_failures`), with
 * exponential lockout: after `maxFailures` failures an account is locked for `lockoutMs`, and
 * each further failure (once the lock ends) doubles the lock. The check runs before any user is
 * looked up or any password hashed, on the key as typed, so an account that does not exist
 * locks exactly like one that does. A successful login clears its account's count (not its
 * address's: one valid account must not reset an address guessing at others).
 */
export class LoginThrottle {
  constructor(
    private readonly platform: PlatformDb,
    private readonly options: LoginThrottleOptions,
  ) {}

  /**
   * Runs one login attempt under the throttle: refused while locked, its 401 counted, its
   * success clearing the account's count.
   */
  async guard<T>(keys: LoginKeys, attempt: () => Promise<T>): Promise<T> {
    await this.check(keys);
    try {
      const result = await attempt();
      await this.succeed(keys.account);
      return result;
    } catch (error) {
      if (error instanceof AppError && error.code === 'unauthorized') await this.fail(keys);
      throw error;
    }
  }

  /** 429 `rate_limited` (with `retryAfterSeconds`) while either key is locked. */
  async check(keys: LoginKeys): Promise<void> {
    const rows = await this.platform
      .selectFrom('login_failures')
      .select([sql<number>`ceil(extract(epoch from (locked_until - now())))::int`.as('seconds_left')])
      .where('key', 'in', [keys.account, addressKey(keys.address)])
      .where('locked_until', '>', sql<Date>`now()`)
      .execute();
    const secondsLeft = Math.max(0, ...rows.map((row) => Number(row.seconds_left)));
    if (secondsLeft > 0) throw lockedError(secondsLeft);
  }

  /** Counts a failed attempt against both keys, locking each that reached its limit. */
  async fail(keys: LoginKeys): Promise<void> {
    await this.count(keys.account, this.options.maxFailures);
    await this.count(addressKey(keys.address), this.options.addressMaxFailures);
  }

  /** A successful login: the account starts again from no failures. */
  async succeed(accountKey: string): Promise<void> {
    await this.platform.deleteFrom('login_failures').where('key', '=', accountKey).execute();
  }

  private async count(key: string, maxFailures: number): Promise<void> {
    const forgotten = sql<boolean>`login_failures.last_failure_at < now() - ${failureMemory}::interval`;
    const { failures } = await this.platform
      .insertInto('login_failures')
      .values({ key, failures: 1, locked_until: null, last_failure_at: sql<Date>`now()` })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql<number>`case when ${forgotten} then 1 else login_failures.failures + 1 end`,
          last_failure_at: sql<Date>`now()`,
        }),
      )
      .returning('failures')
      .executeTakeFirstOrThrow();
    if (failures < maxFailures) return;
    const lockMs = Math.min(maxLockMs, this.options.lockoutMs * 2 ** Math.min(30, failures - maxFailures));
    // Concurrent failures each lock: the longest lock stands.
    await this.platform
      .updateTable('login_failures')
      .set({
        locked_until: sql<Date>`greatest(coalesce(locked_until, now()), now() + make_interval(secs => ${lockMs / 1000}))`,
      })
      .where('key', '=', key)
      .execute();
  }
}

export function lockedError(secondsLeft: number): AppError {
  return new AppError('rate_limited', 'Too many failed logins: try again later', {
    details: { reason: 'login_locked', retryAfterSeconds: secondsLeft },
  });
}
