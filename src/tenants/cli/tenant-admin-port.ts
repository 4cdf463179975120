import type { Tenant } from '../../tenancy/tenant.js';
import type { ApiKeySummary } from '../tenant.repository.js';
import type { IssuedKey, RemovedSecret, SecretSummary, TenantDetails } from '../tenant-admin.js';
import type { CreateKeyInput, CreateTenantInput, UpdateTenantInput } from '../tenant.schemas.js';
import type { SecretKind } from '../secret-kinds.js';

/** A platform staff account as `staff-add` creates it (the staff component's CreateStaffInput). */
export interface NewStaffInput {
  email: string;
  name: string;
  role: 'platform_admin' | 'platform_support';
  password?: string;
}

export interface AddedStaff {
  staff: { id: string; email: string; name: string; role: string; status: string };
  initialPassword?: string;
}

/**
 * The onboarding operations the CLI needs: TenantAdmin in-process, or the platform API over
 * HTTP. Either way, every change is recorded as the CLI's (`cli`, the OS user's name).
 */
export interface TenantAdminPort {
  createTenant(input: CreateTenantInput): Promise<{ tenant: Tenant; apiKey: IssuedKey }>;
  listTenants(): Promise<Tenant[]>;
  getTenant(code: string): Promise<TenantDetails>;
  updateTenant(code: string, input: UpdateTenantInput): Promise<Tenant>;
  setStatus(code: string, status: Tenant['status']): Promise<Tenant>;
  createKey(code: string, input: CreateKeyInput): Promise<IssuedKey>;
  revokeKey(code: string, keyId: string): Promise<ApiKeySummary>;
  setSecret(code: string, kind: SecretKind, value: unknown): Promise<SecretSummary>;
  removeSecret(code: string, kind: SecretKind): Promise<RemovedSecret>;
  rotateSecretsKey(): Promise<{ resealed: number; currentKeyId: string }>;
  addStaff(input: NewStaffInput): Promise<AddedStaff>;
}
