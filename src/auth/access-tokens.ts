import { createHash, hkdfSync } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { AppError } from '../http/app-error.js';

/** Access tokens for tenant users (`tenant`) and platform staff (`platform`). */
export type TokenAudience = 'tenant' | 'platform';

export interface AccessClaims {
  /** The user's id. */
  sub: string;
  /** The session (refresh-token family): ending it refuses its access tokens at once. */
  sid: string;
  /** The tenant's id; absent for platform staff. */
  tid?: string;
  /** The role's key when the token was issued. */
  role: string;
  /**
   * The role's grants when the token was issued, for clients to shape their screens. The server
   * never trusts them: each request reads the user's live permissions (cached, dropped on change).
   */
  perms?: string[];
}

const issuer = 'switchyard';
const algorithm = 'HS256';

interface SigningKey {
  kid: string;
  secret: Uint8Array;
}

/**
 * Signs and verifies short-lived JWTs (jose, HS256). The signing key is derived from
 * `SECRETS_KEY` (HKDF), and the keys of `SECRETS_KEYS_PREVIOUS` still verify: rotating the
 * secrets key rotates the signing key, tokens signed before stay valid until they expire. The
 * key id (`kid` header) picks the verifying key.
 */
export class AccessTokens {
  private readonly signing: SigningKey;
  private readonly byKid: Map<string, SigningKey>;

  constructor(
    currentKey: Buffer,
    previousKeys: Buffer[],
    readonly ttlSeconds: number,
  ) {
    this.signing = deriveSigningKey(currentKey);
    this.byKid = new Map([this.signing, ...previousKeys.map(deriveSigningKey)].map((key) => [key.kid, key]));
  }

  async sign(audience: TokenAudience, claims: AccessClaims): Promise<string> {
    const { sub, ...rest } = claims;
    return new SignJWT({ ...rest })
      .setProtectedHeader({ alg: algorithm, kid: this.signing.kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.signing.secret);
  }

  /** The token's claims, or a 401 for any token that is not ours, not for `audience`, or expired. */
  async verify(token: string, audience: TokenAudience): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const key = header.kid ? this.byKid.get(header.kid) : undefined;
          if (!key) throw new errors.JWSSignatureVerificationFailed('unknown key id');
          return key.secret;
        },
        { issuer, audience, algorithms: [algorithm], requiredClaims: ['sub', 'exp', 'iat'] },
      );
      return toClaims(payload, audience);
    } catch (error) {
      if (error instanceof AppError) throw error;
      const expired = error instanceof errors.JWTExpired;
      throw new AppError('unauthorized', expired ? 'The access token has expired' : 'Invalid access token', {
        details: expired ? { reason: 'token_expired' } : undefined,
      });
    }
  }
}

function toClaims(payload: JWTPayload, audience: TokenAudience): AccessClaims {
  const { sub, sid, tid, role, perms } = payload as JWTPayload & Record<string, unknown>;
  if (
    typeof sub !== 'string' ||
    typeof sid !== 'string' ||
    typeof role !== 'string' ||
    (audience === 'tenant' ? typeof tid !== 'string' : tid !== undefined)
  ) {
    throw new AppError('unauthorized', 'Invalid access token');
  }
  return {
    sub,
    sid,
    role,
    ...(typeof tid === 'string' ? { tid } : {}),
    ...(Array.isArray(perms) ? { perms: perms.filter((p): p is string => typeof p === 'string') } : {}),
  };
}

function deriveSigningKey(secretsKey: Buffer): SigningKey {
  const secret = new Uint8Array(hkdfSync('sha256', secretsKey, 'switchyard', 'access-token-signing', 32));
  const kid = createHash('sha256').update(secret).digest('base64url').slice(0, 12);
  return { kid, secret };
}
