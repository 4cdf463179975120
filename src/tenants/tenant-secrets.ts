import type { SecretBox } from '../crypto/secret-box.js';
import type { PlatformDb } from '../db/platform-database.js';
import { secretSchemas, type SecretKind, type SecretValue } from './secret-kinds.js';

interface SealedRow {
  tenant_id: string;
  kind: string;
  key_id: string;
  ciphertext: string;
}

/** Tenant secrets at rest: sealed with the SecretBox, bound to their tenant and kind. */
export class TenantSecrets {
  constructor(
    private readonly platform: PlatformDb,
    private readonly secretBox: SecretBox,
  ) {}

  /** A tenant's decrypted secret of one kind, or null when it has none. Never hand it to an API. */
  async read<K extends SecretKind>(tenantId: string, kind: K): Promise<SecretValue<K> | null> {
    const row = await this.platform
      .selectFrom('tenant_secrets')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    if (!row) return null;
    return secretSchemas[kind].parse(JSON.parse(this.open(row))) as SecretValue<K>;
  }

  open(row: SealedRow): string {
    return this.secretBox.open(
      { keyId: row.key_id, ciphertext: row.ciphertext },
      aad(row.tenant_id, row.kind),
    );
  }

  /** Seals and stores (or replaces) a secret, inside the caller's transaction when given one. */
  async write(tenantId: string, kind: SecretKind, value: unknown, db: PlatformDb = this.platform) {
    const sealed = this.secretBox.seal(JSON.stringify(value), aad(tenantId, kind));
    return db
      .insertInto('tenant_secrets')
      .values({ tenant_id: tenantId, kind, key_id: sealed.keyId, ciphertext: sealed.ciphertext })
      .onConflict((conflict) =>
        conflict.columns(['tenant_id', 'kind']).doUpdateSet({
          key_id: sealed.keyId,
          ciphertext: sealed.ciphertext,
          updated_at: new Date(),
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Deletes a secret, inside the caller's transaction when given one; answers whether there was one. */
  async remove(tenantId: string, kind: SecretKind, db: PlatformDb = this.platform): Promise<boolean> {
    const deleted = await db
      .deleteFrom('tenant_secrets')
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  }

  /** Re-seals every secret not sealed with the current SECRETS_KEY. */
  async rotate(): Promise<{ resealed: number; currentKeyId: string }> {
    const { currentKeyId } = this.secretBox;
    return this.platform.transaction().execute(async (trx) => {
      const stale = await trx
        .selectFrom('tenant_secrets')
        .selectAll()
        .where('key_id', '!=', currentKeyId)
        .forUpdate()
        .execute();
      for (const row of stale) {
        const sealed = this.secretBox.seal(this.open(row), aad(row.tenant_id, row.kind));
        await trx
          .updateTable('tenant_secrets')
          .set({ key_id: sealed.keyId, ciphertext: sealed.ciphertext, updated_at: new Date() })
          .where('tenant_id', '=', row.tenant_id)
          .where('kind', '=', row.kind)
          .execute();
      }
      return { resealed: stale.length, currentKeyId };
    });
  }
}

/** Binds a ciphertext to its tenant and kind, so it cannot be copied onto another row. */
function aad(tenantId: string, kind: string): string {
  return `${tenantId}:${kind}`;
}
